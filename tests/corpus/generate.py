#!/usr/bin/env python3
"""Generates corpus.tsv, the labelled name corpus for the matching tests (tests/corpus.rs).

Deterministic (fixed seed): rerun after changing the lists and commit both files. A fresh corpus
of the same classes: generate.py --seed N --out /tmp/fresh.tsv, then
NHS_CORPUS=/tmp/fresh.tsv cargo test --test corpus -- --nocapture.
Lines:  client<TAB>Halo client name
        org<TAB>kind<TAB>Ninja organization name<TAB>expected Halo client name (empty: must not match)
Kinds: exact, and true variants. Those the allow-list explains (case, suffix = a legal form added,
dropped or spelled another way, amp, punct, diacritics, extra = a main-site qualifier, the, saint,
space, inversion = a comma inversion, plural and gtypo = a plural or a typo on a generic word the
rules forgive it on, translit = ä/ö/ø/ü written ae/oe/ue, abbrev = Dr/Prof/Hwy/Assn/Mgmt/Hnos.,
and the pairs of TRUE_CLASSES: legal-de, legal-es, legal-spell, main-site, tie) must match their
client; those it gives up (typo and subst = a typo or a substituted letter on a distinctive word,
reorder, dropword, legal-changed = one legal form exchanged for another) are counted apart: they
become suggestions, and the first one offered must be the right client. Decoys must match
nothing: generic, samename, branch, number, surname, trade, oneword, duplicate, absent,
near-<language> (real surnames of 16 languages one edit or a plural apart), the classes of issue
19 (plural-name, near-word, not-legal, one-side, order) and of issue 29, each aimed at one
difference the rules forgive: plural-trade ("Summit Security" / "Summit Securities"), typo-name (a
generic word's typo form that is a surname or a word: "Collison" / "Collision"), legal-exchange
("LLP" / "LP", "Inc" / "AG"), site-qualifier ("- Branch Office" / "- Main Office") and region
("Acme Plumbing SE" / "Acme Plumbing").

The near-* decoys are real surnames one dropped, doubled or swapped letter apart (as the matcher
compares them), listed in near-names.txt with their sources. The Halo client carries one
spelling, the organization the other, in otherwise identical names: two different businesses,
never a typo.
"""
import argparse, os, random, unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
args = argparse.ArgumentParser()
args.add_argument("--seed", type=int, default=2026)
args.add_argument("--out", default=os.path.join(HERE, "corpus.tsv"))
args = args.parse_args()
rnd = random.Random(args.seed)

SURNAMES = """Hartwell Okafor Mensah Kowalczyk Nguyen Castellanos Brennan Delacroix Fitzgerald Haverford Jablonski
Kaminski Lindqvist Moreau Nakamura Petrakis Quintero Rasmussen Whitfield Abernathy Blackwood Carrington Donovan
Ellsworth Fairbanks Galloway Hollingsworth Iverson Jennings Kensington Lockhart Montgomery Northcott Pemberton
Radcliffe Sterling Thackeray Underwood Vanderbilt Wainwright Yarborough Zimmerman Ashcroft Beaumont Calloway
Drummond Everhart Fenwick Gresham Holloway Ingram Kimball Langford Merriweather Norwood Oakley Prescott Rutherford
Sinclair Tolliver Vaughan Winslow Achebe Balogun Chukwu Adeyemi Oyelaran Takahashi Yamamoto Kobayashi Watanabe
Sorensen Halvorsen Pedersen Andersson Lundqvist Bergstrom Varga Horvath Novak Dvorak Kovacs Szabo Popescu Ionescu
Petrov Volkov Romano Esposito Ricci Marchetti Moretti Gallagher Brannigan Ferreira Carvalho Almeida Teixeira""".split()
ACCENTED = ["Müller", "Schäfer", "Lefèvre", "Fernández", "Gómez", "Núñez", "Dvořák", "Ødegaard", "Björklund",
            "Šimek", "Čapek", "Łukasz", "Gonçalves", "Perón", "Crème", "Zoë", "Françoise", "Jürgens", "Schröder",
            "Köhler", "Krüger", "Jäger", "Sørensen", "Möller", "Günther", "Bøgh"]
PLACES = """Ashford Brookhaven Cedarville Dunmore Eastbrook Fairhaven Glenwood Hollis Ironton Juniper Kingsley Larchmont
Millbrook Northgate Oakdale Pemberly Quincy Rosedale Sherwood Thornbury Upton Westbury Yardley Alderney Briarcliff
Coldwater Deerfield Elmhurst Foxborough Greenfield Hawthorne Indigo Jasper Kirkwood Lakemont Maplewood Newfield
Orchard Pinehurst Ravenwood Silverton Tanglewood Valleyview Whitmore Woodbridge Ambleside Barrington Clearbrook""".split()
SAINTS = ["Mary", "Joseph", "Patrick", "Brigid", "Anne", "Michael", "Francis", "Luke", "Andrew", "Catherine"]

TEMPLATES = [
    # (template, sector)
    ("{S} Family Dentistry", "dental"), ("{P} Dental Care", "dental"), ("{S} Orthodontics", "dental"),
    ("{S} & {S2} Dental Associates", "dental"), ("{P} Pediatrics", "medical"), ("{S} Medical Group", "medical"),
    ("{P} Urgent Care", "medical"), ("{S} Chiropractic", "medical"), ("{S} & {S2} LLP", "law"),
    ("{S} Law Firm", "law"), ("{S}, {S2} & {S3}, P.C.", "law"), ("{S} Legal Services", "law"),
    ("{S} CPA Group", "cpa"), ("{S} & Associates CPAs", "cpa"), ("{P} Tax & Accounting", "cpa"),
    ("{P} Baptist Church", "church"), ("First Presbyterian Church of {P}", "church"),
    ("{P} Community Church", "church"), ("St. {SAINT}'s Catholic Church", "church"),
    ("St. {SAINT}'s Episcopal School", "school"), ("St. {SAINT} Parish", "church"), ("{P} Elementary School", "school"), ("{P} Christian Academy", "school"), ("{S} Montessori School", "school"),
    ("Town of {P}", "municipal"), ("City of {P}", "municipal"), ("{P} County Library", "municipal"),
    ("{P} Fire District", "municipal"), ("{S} Construction", "construction"), ("{S} Brothers Builders", "construction"),
    ("{P} Roofing & Siding", "construction"), ("{S} Plumbing & Heating", "construction"),
    ("{S} Immobilien GmbH", "foreign"), ("Boulangerie {S}", "foreign"), ("{S} Bouw B.V.", "foreign"),
    ("Cabinet {S} SARL", "foreign"), ("{S} Rakennus Oy", "foreign"), ("Clínica Dental {S}", "foreign"),
    ("{S} Elektro AG", "foreign"), ("{S} & Søn ApS", "foreign"), ("{S} Logistics Pty Ltd", "foreign"),
    ("{S} Insurance Agency", "other"), ("{P} Veterinary Hospital", "other"), ("{S} Auto Repair", "other"),
    ("{P} Realty", "other"), ("{S} Marketing Group", "other"), ("{S} Engineering", "other"),
    ("{S} Property Management", "other"), ("{P} Dental Association", "other"), ("Doctor {S} Family Medicine", "medical"),
    ("{P} Highway Garage", "other"), ("{S} Hermanos Construcciones", "foreign"), ("{S} Bau", "foreign"),
    ("Zahnarztpraxis {S}", "foreign"), ("{S} Byg ApS", "foreign"), ("Studio Legale {S}", "foreign"),
    ("{S} Elektriska AB", "foreign"), ("Pharmacie {S}", "foreign"), ("{S} Installatietechniek B.V.", "foreign"),
]
SUFFIXES = ["", "", "", " Inc", " LLC", " Ltd", " PLLC", " Corp"]
FORMS_IN_TEMPLATES = ("P.C.", "LLP", "GmbH", "B.V.", "SARL", "Oy", "AG", "ApS", "Pty", " AB")
used = set()

def fill(t):
    for _ in range(200):
        s = rnd.sample(SURNAMES, 3)
        if rnd.random() < 0.3:
            s[0] = rnd.choice(ACCENTED)
        name = (t.replace("{S}", s[0]).replace("{S2}", s[1]).replace("{S3}", s[2])
                 .replace("{P}", rnd.choice(PLACES)).replace("{SAINT}", rnd.choice(SAINTS)))
        key = key_of(name)
        if key not in used:
            used.add(key)
            return name
    raise SystemExit(f"ran out of names for {t}")

def key_of(name):
    """A name as the used-names set holds it: accents and case ignored ("Dvořák" = "dvorak")."""
    return strip_accents(name).lower()

def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).replace("ø", "o").replace("Ø", "O").replace("ł", "l").replace("Ł", "L")

LEGAL = [" Inc", " Inc.", ", Inc.", " LLC", " L.L.C.", " Ltd", " Limited", " Corp", " Corporation", " Co", " PLLC", " P.C."]

# Legal forms and main-site qualifiers at the end of the names made here: a name's core is what
# is left without them (two names of one core are one business to the matcher). "AB" is not one:
# undotted, it may be Alberta's code, and the matcher keeps it as a word.
ENDINGS = LEGAL + [" GmbH", " B.V.", " SARL", " Oy", " AG", " ApS", " Pty Ltd", " LLP", " GmbH & Co. KG", " GmbH & Co KG",
                   " GmbH & Co. OHG", " GmbH & Co OHG", " SE & Co. KGaA", " e.K.", " e.V.", " eV", " S.Coop.", " S.Com.",
                   " S.A. de C.V.", " SA de CV", " S.L.", " S.L.U.", " Ges.m.b.H.", " L.L.C.", " Ltd.", " Corp.",
                   " Company", " P.L.L.C.", " PC", " HQ", " - Main Office", " (Main Office)", " Headquarters",
                   " - Headquarters", " - Corporate", " Head Office", " Main Office", " Main Campus", " (Main Campus)",
                   " Corporate Office", " (HQ)"]

def base_without_suffix(name):
    for suf in sorted(ENDINGS, key=len, reverse=True):
        if name.endswith(suf):
            return base_without_suffix(name[: -len(suf)])
    return name

def distinctive_word(name):
    words = [w.strip(",.&'") for w in name.split()]
    cands = [w for w in words if w in SURNAMES or w in PLACES]
    return max(cands, key=len) if cands else None

def typo(word):
    # a transposition, a dropped letter or a doubled letter (not the first letter)
    i = rnd.randrange(1, len(word) - 1)
    kind = rnd.choice(["swap", "drop", "double"])
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]

def variant(kind, halo):
    core = base_without_suffix(halo)
    if kind == "case":
        return rnd.choice([halo.upper(), halo.lower(), halo.title()])
    if kind == "suffix":  # a legal form added, dropped or written another way, never exchanged
        if core == halo:
            return core + rnd.choice(LEGAL)
        form = halo[len(core):]
        same = [f for group in LEGAL_SPELLINGS if form in group for f in group if f != form]
        return core + rnd.choice(same) if same and rnd.random() < 0.6 else core
    if kind == "legal-changed":  # the same business under another legal form: given up
        if core == halo or halo[len(core):] not in LEGAL:
            return None
        form = halo[len(core):]
        group = next((g for g in LEGAL_SPELLINGS if form in g), [form])
        return core + rnd.choice([f for f in LEGAL if f not in group])
    if kind == "translit":
        for a, b in TRANSLIT:
            if a in halo:
                return halo.replace(a, b)
        return None
    if kind == "abbrev":
        for a, b in ABBREVIATIONS:
            if f" {a} " in f" {halo} ":
                return f" {halo} ".replace(f" {a} ", f" {b} ").strip()
        return None
    if kind == "subst":  # a substituted letter in a distinctive word ("Smuth"): given up
        w = distinctive_word(halo)
        if not w or len(w) < 6:
            return None
        i = rnd.randrange(1, len(w) - 1)
        c = rnd.choice([x for x in "aeiourstnl" if x != w[i].lower()])
        return halo.replace(w, w[:i] + c + w[i + 1:], 1)
    if kind == "amp":
        return halo.replace(" & ", " and ") if " & " in halo else None
    if kind == "punct":
        if "," in halo:
            return halo.replace(",", "")
        w = halo.split()
        return ", ".join([" ".join(w[:-1]), w[-1]]) if len(w) > 2 else None
    if kind == "diacritics":
        s = strip_accents(halo)
        return s if s != halo else None
    if kind == "typo":
        w = distinctive_word(halo)
        if not w or len(w) < 6:
            return None
        return halo.replace(w, typo(w), 1)
    if kind == "extra":  # a qualifier naming the main site, set apart or not
        return core + rnd.choice([" HQ", " - Main Office", " (Main Office)", " Headquarters", " - Corporate",
                                  " Head Office", " Main Office", " Main Campus", " Corporate Office"])
    if kind == "reorder":
        w = core.split()
        if len(w) != 3 or "&" in core or "," in core or core.startswith(("Town", "City", "First", "St.")):
            return None
        return " ".join([w[1], w[2], w[0]])
    if kind == "the":
        return "The " + halo
    if kind == "saint":
        return halo.replace("St. ", "Saint ") if "St. " in halo else None
    if kind == "dropword":
        for filler in [" & Associates", " Family ", " Group", " Services"]:
            if filler in halo:
                return halo.replace(filler, " ").replace("  ", " ").strip()
        return None
    if kind == "space":
        return "  " + halo.replace(" ", "  ") + " "
    if kind == "inversion":  # "Town of Orchard" -> "Orchard, Town of"
        w = core.split()
        if len(w) < 2 or "," in core or "&" in core or core.endswith(" AB"):
            return None
        return w[-1] + ", " + " ".join(w[:-1])
    if kind == "plural":
        for a, b in PLURALS:
            if f" {a}" in f" {halo} ":
                return (f" {halo} ").replace(f" {a} ", f" {b} ").strip()
            if f" {b}" in f" {halo} ":
                return (f" {halo} ").replace(f" {b} ", f" {a} ").strip()
        return None
    if kind == "gtypo":  # a dropped, doubled or swapped letter in a generic word, as typo-forms.txt lists
        words = [w for w in core.split() if w in GENERIC_TYPO_OK]
        if not words:
            return None
        w = rnd.choice(words)
        t = rnd.choice([f for f, _ in TYPO_FORMS[w.lower()]])
        return halo.replace(w, t[0].upper() + t[1:], 1)
    raise ValueError(kind)

# Every typo form of every generic word, and where it is found (typo-forms.py): the words the
# rules forgive a typo on have none found; the forms found are names and words (typo-name decoys).
TYPO_FORMS = {}
for line in open(os.path.join(HERE, "typo-forms.txt"), encoding="utf-8"):
    if not line.startswith("#"):
        word, form, where = line.rstrip("\n").split("\t")
        TYPO_FORMS.setdefault(word, []).append((form, where))
GENERIC_TYPO_OK = [w.title() for w, forms in TYPO_FORMS.items() if all(not where for _, where in forms)]
NAME_FORMS = [(w, f) for w, forms in TYPO_FORMS.items() for f, where in forms
              if where and ("surname" in where or "name" in where)]
# Plural/singular pairs of generic words whose plural names the same trade (PLURAL_SAME).
PLURALS = [("Services", "Service"), ("Associates", "Associate"), ("Builders", "Builder"), ("Brothers", "Brother"),
           ("CPAs", "CPA"), ("Partners", "Partner"), ("Solutions", "Solution"), ("Systems", "System")]
# One legal form's spellings: a variant may write it another way.
LEGAL_SPELLINGS = [[" Inc", " Inc.", ", Inc.", " Incorporated"], [" LLC", " L.L.C."], [" Ltd", " Limited", " Ltd."],
                   [" Corp", " Corporation", " Corp."], [" Co", " Company"], [" PLLC", " P.L.L.C."], [" P.C.", " PC"]]
TRANSLIT = [("Müller", "Mueller"), ("Schäfer", "Schaefer"), ("Ødegaard", "Oedegaard"), ("Björklund", "Bjoerklund"),
            ("Jürgens", "Juergens"), ("Schröder", "Schroeder"), ("Köhler", "Koehler"), ("Krüger", "Krueger"),
            ("Jäger", "Jaeger"), ("Sørensen", "Soerensen"), ("Möller", "Moeller"), ("Günther", "Guenther"),
            ("Bøgh", "Boegh")]
ABBREVIATIONS = [("Doctor", "Dr."), ("Management", "Mgmt"), ("Association", "Assn"), ("Highway", "Hwy"),
                 ("Hermanos", "Hnos."), ("Brothers", "Bros.")]

NEAR_NAMES = {}
for line in open(os.path.join(HERE, "near-names.txt"), encoding="utf-8"):
    if line.strip() and not line.startswith("#"):
        lang, pair = line.rstrip("\n").split("\t")
        NEAR_NAMES.setdefault(lang, []).append(pair)
NEAR_TEMPLATES = {
    "es": ["Clínica Dental {S}", "{S} Abogados", "Construcciones {S} S.L.", "Farmacia {S}", "{S} Asesores"],
    "it": ["Studio Legale {S}", "{S} Costruzioni S.r.l.", "Farmacia {S}", "{S} Design", "Ristorante {S}"],
    "nl": ["{S} Bouw B.V.", "Tandartspraktijk {S}", "{S} Advocaten", "{S} Installatietechniek", "Bakkerij {S}"],
    "sv": ["{S} Bygg AB", "Tandläkare {S}", "{S} Advokatbyrå", "{S} Elektriska AB", "Bageri {S}"],
    "cs": ["{S} Stavby s.r.o.", "Zubní ordinace {S}", "Advokátní kancelář {S}", "Pekárna {S}"],
    "pt": ["Clínica {S}", "{S} Construções Lda", "{S} Advogados", "Farmácia {S}"],
    "tr": ["{S} İnşaat", "{S} Hukuk Bürosu", "{S} Diş Kliniği", "{S} Lojistik"],
    "ie": ["{S} Insurance Agency", "{S} Solicitors", "{S} Construction", "{S} Family Dentistry", "{S} Plumbing"],
    "gb": ["{S} Solicitors", "{S} Estate Agents", "{S} Building Services", "{S} Dental Practice", "{S} Accountants"],
    "da": ["{S} Byg ApS", "Tandlæge {S}", "Advokatfirma {S}", "{S} El-Service"],
    "fi": ["{S} Rakennus Oy", "Hammaslääkäri {S}", "Asianajotoimisto {S}", "{S} Sähkö Oy"],
    "hu": ["{S} Építő Kft", "{S} Ügyvédi Iroda", "Fogorvos {S}", "{S} Pékség"],
    "en": ["{S} Insurance Agency", "{S} Law Group", "Wallace & {S} Law Group", "{S} Construction", "{S} Family Dentistry",
           "{S} & Sons Plumbing", "{S} Accounting Services", "{S} Realty Group"],
    "de": ["{S} Immobilien GmbH", "{S} Bau GmbH", "Elektro {S} AG", "Steuerberatung {S}", "{S} & Partner Rechtsanwälte",
           "Zahnarztpraxis {S}"],
    "fr": ["Cabinet {S}", "Boulangerie {S}", "{S} Immobilier SARL", "Pharmacie {S}", "Garage {S} SAS",
           "{S} & Fils Plomberie"],
}

clients, orgs = [], []
VARIANTS = ["case", "suffix", "amp", "punct", "diacritics", "typo", "extra", "reorder", "the", "saint", "dropword", "space",
            "inversion", "plural", "gtypo", "translit", "abbrev", "subst", "legal-changed"]

# True pairs: each Halo client with one Ninja organization (exact or a variant).
for n in range(330):
    t, sector = TEMPLATES[n % len(TEMPLATES)]
    has_form = any(f in t for f in FORMS_IN_TEMPLATES)
    halo = fill(t) + (rnd.choice(SUFFIXES) if sector not in ("church", "municipal") and not has_form else "")
    clients.append(halo)
    # Round-robin over the kinds, starting at a different one each time, taking the first
    # that applies to this name, so that every kind is well represented.
    kinds = ["exact"] + VARIANTS
    order = kinds[n % len(kinds):] + kinds[:n % len(kinds)]
    for kind in order:
        ninja = halo if kind == "exact" else variant(kind, halo)
        if kind == "exact" or (ninja and ninja != halo):
            break
    orgs.append((kind, ninja, halo))

# The kinds that apply to few names get a dozen pairs more each, on names they apply to.
for kind in ["translit", "abbrev", "plural", "amp", "diacritics", "gtypo", "suffix", "extra"]:
    added = 0
    for _ in range(2000):
        if added == 12:
            break
        t, sector = rnd.choice(TEMPLATES)
        has_form = any(f in t for f in FORMS_IN_TEMPLATES)
        try:
            halo = fill(t) + (rnd.choice(SUFFIXES) if sector not in ("church", "municipal") and not has_form else "")
        except SystemExit:
            continue
        ninja = variant(kind, halo)
        if ninja and ninja != halo and key_of(ninja) not in used:
            clients.append(halo)
            orgs.append((kind, ninja, halo))
            added += 1
        else:
            used.discard(key_of(halo))

# Decoys: organizations that are not in Halo, each built to resemble a Halo client.
def decoy(kind):
    halo = rnd.choice(clients)
    core = base_without_suffix(halo)
    if kind == "generic":  # another place, same generic words
        for p in PLACES:
            if p in core:
                other = rnd.choice([q for q in PLACES if q != p and q not in " ".join(clients)] or [p + "ia"])
                return core.replace(p, other)
        return None
    if kind == "samename":  # same distinctive word, another trade
        w = distinctive_word(core)
        return f"{w} {rnd.choice(['Plumbing', 'Landscaping', 'Bakery', 'Trucking', 'Flooring'])}" if w else None
    if kind == "branch":
        return core + rnd.choice([" North", " South", " East Campus", " West"]) if len(core.split()) >= 2 else None
    if kind == "number":
        return core + " " + str(rnd.randint(2, 9))
    if kind == "surname":  # a different person's surname, one letter substituted
        w = distinctive_word(core)
        if not w or len(w) < 5:
            return None
        i = rnd.randrange(1, len(w) - 1)
        c = rnd.choice([x for x in "aeiouy" if x != w[i].lower()])
        return core.replace(w, w[:i] + c + w[i + 1:])
    if kind == "trade":  # the same business name plus a trade word: a different business
        return core + rnd.choice([" Supply", " Rentals", " Foundation", " Properties"])
    if kind == "oneword":
        w = distinctive_word(core)
        return w
    raise ValueError(kind)

for kind in ["generic"] * 14 + ["samename"] * 14 + ["branch"] * 12 + ["number"] * 10 + ["surname"] * 14 + ["trade"] * 12 + ["oneword"] * 8:
    for _ in range(20):
        name = decoy(kind)
        if name and key_of(name) not in used and all(key_of(name) != key_of(c) for c in clients):
            used.add(key_of(name))
            orgs.append((kind, name, ""))
            break

# Near-surname neighbours: the client carries one real surname, the organization its neighbour.
# Neither name may be an existing client's name up to its legal form (that would be a true match).
cores = {base_without_suffix(strip_accents(c)).lower() for c in clients}

def free(halo, ninja):
    """Neither name is taken, nor an existing client's name up to its legal form."""
    taken = any(base_without_suffix(strip_accents(n)).lower() in cores for n in (halo, ninja))
    return key_of(halo) not in used and key_of(ninja) not in used and not taken

def add_decoy(kind, halo, ninja):
    """The client carries one name, the organization (which must match nothing) the other."""
    used.update([key_of(halo), key_of(ninja)])
    cores.update(base_without_suffix(strip_accents(n)).lower() for n in (halo, ninja))
    clients.append(halo)
    orgs.append((kind, ninja, ""))

for lang in NEAR_TEMPLATES:
    for pair in NEAR_NAMES[lang]:
        a, b = pair.split("/")
        if rnd.random() < 0.5:
            a, b = b, a
        for _ in range(20):
            t = rnd.choice(NEAR_TEMPLATES[lang])
            halo, ninja = t.replace("{S}", a), t.replace("{S}", b)
            if free(halo, ninja):
                break
        else:
            raise SystemExit(f"no free name for {pair}")
        add_decoy(f"near-{lang}", halo, ninja)

# The classes of issue 19: a Halo client with one name, an organization with the other, two
# different businesses in otherwise identical names. (halo template, ninja template) with {S}/{S2}
# surnames, {P}/{Q} places, {A}/{B} a pair of names a plural apart or real words one letter apart.
PLURAL_NAMES = [("Daniel", "Daniels"), ("Luca", "Lucas"), ("Mulder", "Mulders"), ("Peter", "Peters"),
                ("Wouter", "Wouters"), ("Robert", "Roberts"), ("Jansen", "Jansens"), ("Edward", "Edwards"),
                ("Matthew", "Matthews"), ("Stephen", "Stephens"), ("Hughe", "Hughes"), ("Nicola", "Nicolas")]
NEAR_WORDS = [("Middleton", "Middletown"), ("Newton", "Newtown"), ("Lighting", "Lightning"), ("Trenor", "Treanor"),
              ("Eklund", "Ekelund"), ("Stanton", "Staunton"), ("Eaton", "Easton"), ("Hamlin", "Hamblin"),
              ("Marlow", "Marlowe"), ("Carson", "Carlson"), ("Milford", "Mulford"), ("Bristol", "Bristow")]
CLASSES = {
    "plural-name": [("{A} Accounting", "{B} Accounting"), ("{A} Moretti Design", "{B} Moretti Design"),
                    ("{A} Bouw B.V.", "{B} Bouw B.V."), ("Studio {A}", "Studio {B}"), ("{A} Consulting Group", "{B} Consulting Group")],
    "near-word": [("{A} Electric", "{B} Electric"), ("{A} Dental Care", "{B} Dental Care"),
                  ("{A} Veterinary Clinic", "{B} Veterinary Clinic"), ("{A} Auto Repair", "{B} Auto Repair")],
    "not-legal": [("{P} Park", "{P} Park Zoo"), ("Hotel {P}", "Hotel {P} Spa"), ("{S} Logistics", "{S} Logistics Site"),
                  ("Terme di {P}", "Terme di {P} Spa"), ("{S} Wellness", "{S} Wellness Spa")],
    "one-side": [("{S} Dental", "{S} Dental Holdings"), ("{S} Wealth", "{S} Wealth Partners"),
                 ("{S} Bau", "{S} Bau Holding"), ("{S} Costruzioni", "{S} Costruzioni Group"),
                 ("Clínica {S}", "Clínica {S} Dental"), ("{S} Law", "{S} Law Group")],
    "order": [("{P} {Q} Family Dentistry", "{Q} {P} Family Dentistry"), ("Cafe on the {P}", "Cafe in the {P}"),
              ("{S} Dental", "{S} & {S} Dental"), ("Bäckerei am {P}", "Bäckerei im {P}"),
              ("Café du {P}", "Café de la {P}"), ("{S} {S2} Partners", "{S2} {S} Partners")],
}
for kind, templates in CLASSES.items():
    for k in range(24):
        halo_t, ninja_t = templates[k % len(templates)]
        for _ in range(50):
            s1, s2 = rnd.sample(SURNAMES, 2)
            p, q = rnd.sample(PLACES, 2)
            a, b = rnd.choice(PLURAL_NAMES if kind == "plural-name" else NEAR_WORDS)
            if rnd.random() < 0.5 and kind != "plural-name":
                a, b = b, a
            fill_t = lambda t: (t.replace("{S2}", s2).replace("{S}", s1).replace("{P}", p).replace("{Q}", q)
                                .replace("{A}", a).replace("{B}", b))
            halo, ninja = fill_t(halo_t), fill_t(ninja_t)
            if rnd.random() < 0.5:  # either side may carry either name
                halo, ninja = ninja, halo
            if free(halo, ninja):
                break
        else:
            raise SystemExit(f"no free name for {kind}")
        add_decoy(kind, halo, ninja)

# Issue 29, the true pairs of each newly forgiven difference: (Halo template, Ninja template).
TRUE_CLASSES = {
    "legal-de": [("{S} Handel e.K.", "{S} Handel"), ("Sportverein {P} e.V.", "Sportverein {P} eV"),
                 ("{S} Bau GmbH & Co. KG", "{S} Bau"), ("{S} Bau GmbH & Co. KG", "{S} Bau GmbH & Co KG"),
                 ("{S} Holding SE & Co. KGaA", "{S} Holding"), ("{S} Immobilien Ges.m.b.H.", "{S} Immobilien GmbH")],
    "legal-es": [("Cooperativa {P} S.Coop.", "Cooperativa {P}"), ("{S} Hermanos S.Com.", "{S} Hermanos"),
                 ("Construcciones {S} S.A. de C.V.", "Construcciones {S}"), ("Construcciones {S} SA de CV", "Construcciones {S} S.A. de C.V."),
                 ("{S} Asesores S.L.", "{S} Asesores"), ("Ferretería {S} S.L.U.", "Ferretería {S}")],
    "legal-spell": [("{S} Consulting Ltd", "{S} Consulting Limited"), ("{S} Systems Inc", "{S} Systems Incorporated"),
                    ("{S} Logistics Corp", "{S} Logistics Corporation"), ("{S} Plumbing Co", "{S} Plumbing Company"),
                    ("{S} Partners LLC", "{S} Partners L.L.C."), ("{S} & Co", "{S} & Company")],
    "main-site": [("{S} Dental", "{S} Dental Head Office"), ("{P} University", "{P} University Main Campus"),
                  ("{S} Logistics", "{S} Logistics Main Office"), ("{S} Insurance Agency", "{S} Insurance Agency Corporate Office"),
                  ("{S} Law Group", "{S} Law Group - Headquarters"), ("{P} College", "{P} College (Main Campus)")],
}
# Issue 29, the decoys aimed at each forgiven difference: two businesses in otherwise equal names.
AIMED = {
    "plural-trade": [("Summit Security", "Summit Securities"), ("{P} Security", "{P} Securities"), ("{P} Home", "{P} Homes"),
                     ("Heritage Home", "Heritage Homes"), ("{S} Estate", "{S} Estates"), ("{S} Trust", "{S} Trusts"),
                     ("{P} Fund", "{P} Funds"), ("{S} Glass Work", "{S} Glass Works"), ("{P} School", "{P} Schools"),
                     ("{P} Hotel", "{P} Hotels"), ("{S} Finance", "{S} Finances"), ("{P} Water", "{P} Waters")],
    "legal-exchange": [("{S} & {S2} LLP", "{S} & {S2} LP"), ("Vertex Inc", "Vertex AG"), ("{S} Systems Inc", "{S} Systems AG"),
                       ("{S} Consulting LLC", "{S} Consulting PLLC"), ("{S} Bau GmbH", "{S} Bau GmbH & Co. KG"),
                       ("{S} Holding Ltd", "{S} Holding Pty Ltd"), ("{S} Bygg AB", "{S} Bygg Oy"),
                       ("{S} Immobilien GmbH", "{S} Immobilien AG"), ("Stumpf GmbH & Co OHG", "Stumpf GmbH")],
    "site-qualifier": [("{S} Dental - Branch Office", "{S} Dental - Main Office"), ("Penrose Dental - Branch Office", "Penrose Dental"),
                       ("{S} Dental - Branch Office", "{S} Dental"), ("{P} Academy - North Campus", "{P} Academy"),
                       ("{S} Logistics Annex", "{S} Logistics"), ("{P} Clinic - Satellite Office", "{P} Clinic"),
                       ("{S} Insurance Agency (Branch)", "{S} Insurance Agency (HQ)")],
    "region": [("{S} Plumbing SE", "{S} Plumbing"), ("{S} Roofing SA", "{S} Roofing"), ("{S} Insurance PA", "{S} Insurance"),
               ("{S} Heating NV", "{S} Heating"), ("{S} Realty AB", "{S} Realty"), ("{S} Electric SC", "{S} Electric"),
               ("{S} Landscaping KS", "{S} Landscaping"), ("{S} Paving CO", "{S} Paving Co.")],
}
TYPO_NAME_TAILS = ["Auto Repair", "Funeral Home", "Group", "Services", "Partners", "Consulting", "& Sons"]


def fill_pair(halo_t, ninja_t):
    s1, s2 = rnd.sample(SURNAMES, 2)
    p = rnd.choice(PLACES)
    f = lambda t: t.replace("{S2}", s2).replace("{S}", s1).replace("{P}", p)
    return f(halo_t), f(ninja_t)


for kind, templates in TRUE_CLASSES.items():
    for k in range(12):
        for _ in range(50):
            halo, ninja = fill_pair(*templates[k % len(templates)])
            if free(halo, ninja):
                break
        else:
            raise SystemExit(f"no free name for {kind}")
        used.update([key_of(halo), key_of(ninja)])
        cores.update(base_without_suffix(strip_accents(n)).lower() for n in (halo, ninja))
        clients.append(halo)
        orgs.append((kind, ninja, halo))
# The tie: a client equal to the organization's name in full, and one equal without its legal
# form; the full one is the match.
for k in range(8):
    for _ in range(50):
        s1 = rnd.choice(SURNAMES + ACCENTED)
        trade = rnd.choice(["Bau", "Handel", "Immobilien", "Logistik", "Elektro"])
        full, bare = f"{s1} {trade} GmbH & Co. OHG", f"{s1} {trade}"
        if free(full, bare):
            break
    used.update([key_of(full), key_of(bare)])
    cores.update(base_without_suffix(strip_accents(n)).lower() for n in (full, bare))
    clients += [full, bare]
    orgs.append(("tie", full.replace("Co. OHG", "Co OHG"), full))

for kind, templates in AIMED.items():
    for k in range(24):
        for _ in range(50):
            halo, ninja = fill_pair(*templates[k % len(templates)])
            if rnd.random() < 0.5:
                halo, ninja = ninja, halo
            if free(halo, ninja):
                break
        else:
            continue  # a fixed pair ("Summit Security") is used once
        add_decoy(kind, halo, ninja)
# A generic word's typo form that is a surname or a given name, in the word's place.
for k, (word, form) in enumerate(rnd.sample(NAME_FORMS, min(24, len(NAME_FORMS)))):
    tail = rnd.choice(TYPO_NAME_TAILS)
    lead = "" if k % 2 == 0 else rnd.choice(PLACES) + " "
    halo, ninja = f"{lead}{word.title()} {tail}", f"{lead}{form.title()} {tail}"
    if rnd.random() < 0.5:
        halo, ninja = ninja, halo
    if free(halo, ninja):
        add_decoy("typo-name", halo, ninja)

def fresh_name():
    """A new name of some template (one whose names are not all taken)."""
    for _ in range(100):
        try:
            name = fill(rnd.choice(TEMPLATES)[0])
        except SystemExit:
            continue
        if base_without_suffix(strip_accents(name)).lower() not in cores:
            cores.add(base_without_suffix(strip_accents(name)).lower())
            return name
    raise SystemExit("ran out of names")

# Duplicate Halo names: two clients share a name; the organization of that name is ambiguous.
for _ in range(8):
    name = fresh_name()
    clients += [name, name]
    orgs.append(("duplicate", name, ""))
# Absent from Halo altogether.
for _ in range(12):
    orgs.append(("absent", fresh_name(), ""))

with open(args.out, "w", encoding="utf-8") as f:
    f.write("# generated by generate.py; see its docstring for the format\n")
    for c in clients:
        f.write(f"client\t{c}\n")
    for kind, ninja, halo in orgs:
        f.write(f"org\t{kind}\t{ninja}\t{halo}\n")
print(f"{len(clients)} clients, {len(orgs)} organizations "
      f"({sum(1 for o in orgs if o[2])} true pairs, {sum(1 for o in orgs if not o[2])} decoys)")
