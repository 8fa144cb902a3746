#!/usr/bin/env python3
"""Adds near-surname neighbours of more languages to near-names.txt (deterministic; rerunning
replaces what it wrote before and keeps the en/de/fr lines).

For each locale, the surnames of Faker's person provider (MIT) are folded as the matcher folds
them (case, Latin diacritics); pairs one edit apart (a letter dropped, added, doubled, swapped or
substituted) or a plural apart ("Daniel"/"Daniels", "Luca"/"Lucas") are different people's
names. Names equal after folding ("García"/"Garcia") are the same name and never a pair.
Needs: pip install faker==37.12.0
"""
import importlib
import unicodedata

LOCALES = {"es": "es_ES", "it": "it_IT", "nl": "nl_NL", "pl": "pl_PL", "sv": "sv_SE", "cs": "cs_CZ",
           "pt": "pt_PT", "tr": "tr_TR", "ie": "en_IE", "gb": "en_GB", "da": "da_DK", "fi": "fi_FI", "hu": "hu_HU"}
PER_LANGUAGE = 24


def fold(s):
    s = s.replace("ı", "i").replace("ł", "l").replace("ø", "o").replace("đ", "d").replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", s.lower()) if not unicodedata.combining(c))


def surnames(locale):
    p = importlib.import_module(f"faker.providers.person.{locale}").Provider
    names = set()
    for attr in ("last_names", "last_names_male", "last_names_female"):
        v = getattr(p, attr, None)
        if v and "Doe" not in v:
            names.update(v.keys() if isinstance(v, dict) else v)
    return sorted(n for n in names if n.isalpha() and len(n) >= 4)


def one_edit(a, b):
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    s, l = (a, b) if len(a) < len(b) else (b, a)
    return any(l[:i] + l[i + 1:] == s for i in range(len(l)))


def main():
    lines = []
    for lang, locale in LOCALES.items():
        names = surnames(locale)
        folded = {n: fold(n) for n in names}
        pairs = []
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                fa, fb = folded[a], folded[b]
                if fa == fb or fa[0] != fb[0]:
                    continue
                if one_edit(fa, fb) or fb in (fa + "s", fa + "es") or fa in (fb + "s", fb + "es"):
                    pairs.append((a, b))
        # Spread over the alphabet, deterministic.
        step = max(1, len(pairs) // PER_LANGUAGE)
        chosen = pairs[::step][:PER_LANGUAGE]
        lines += [f"{lang}\t{a}/{b}" for a, b in chosen]
        print(f"{lang}: {len(pairs)} pairs, {len(chosen)} kept")
    kept = [l for l in open("near-names.txt", encoding="utf-8")
            if not l.startswith(tuple(f"{k}\t" for k in LOCALES)) and "near-names.py" not in l and "Faker 37.12's" not in l]
    with open("near-names.txt", "w", encoding="utf-8") as f:
        f.writelines(kept)
        f.write("# " + ", ".join(f"{k}: {v}" for k, v in LOCALES.items()) + ": the surnames of Faker 37.12's\n")
        f.write("# person providers (MIT), pairs one edit or a plural apart, made by near-names.py.\n")
        for line in lines:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
