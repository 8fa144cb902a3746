#!/usr/bin/env python3
"""Builds data/name-pairs.bloom: the pairs of known names one typo apart, for the fuzzy tier.

Two words that differ by one inserted, dropped or swapped letter are read as a typo only when
they are not both real names: "Rogers"/"Rodgers", "Moran"/"Morgan", "Schmid"/"Schmidt" are
different people. This script lists every such pair among known names and stores them in a
Bloom filter (src/matching.rs, `known_name_pair`, reads it).

Sources (downloaded from PyPI at build time of the file, not of the program):
- names 0.3.0: the 1990 US Census lists (public domain): dist.all.last (surnames, by
  frequency; the first CENSUS_SURNAMES are used), dist.male.first, dist.female.first.
- faker 40.54.0 (MIT licence): the person providers' first and last names for de_DE, de_AT,
  de_CH, fr_FR, fr_CH, fr_CA, en_US, en_GB.

Words are put in the form the matcher compares (src/matching.rs `normalize`): lower case, Latin
diacritics folded, apostrophes dropped, split at spaces and hyphens, a plural 's' dropped from
words of more than 4 letters. Only words of 5 letters or more matter (shorter ones are never
read as typos).

Filter: FNV-1a 64 of "a\\0b" (a < b), mixed by murmur3's fmix64 (FNV alone correlates on keys
sharing a long prefix, and typos of one name do); h1 = low 32 bits, h2 = high 32 bits | 1; bits
(h1 + i*h2) mod m for i in 0..K. A false positive only makes the matcher refuse a true typo
(the organization becomes no_match with the client suggested): the safe side.

Usage: python3 scripts/name-pairs.py   (writes data/name-pairs.bloom; commit it)
"""
import os, re, subprocess, sys, tarfile, tempfile, unicodedata, zipfile

CENSUS_SURNAMES = 50_000
BITS_PER_PAIR = 6
K = 4
FAKER_LOCALES = ["de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH", "fr_CA", "en_US", "en_GB"]
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "name-pairs.bloom")

# The explicit folds of src/matching.rs `fold_char` that NFKD does not do.
SPECIAL = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i",
           "ŧ": "t", "þ": "th"}


def words_of(name):
    s = "".join(SPECIAL.get(c, c) for c in name.lower())
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"['’‘`´ʼ]", "", s)
    out = []
    for w in re.split(r"[^a-z0-9]+", s):
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss") and w.isalpha():
            w = w[:-1]
        if len(w) >= 5:
            out.append(w)
    return out


def fmix64(h):
    m = 0xFFFFFFFFFFFFFFFF
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & m
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & m
    return h ^ (h >> 33)


def download(tmp):
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                    "names==0.3.0", "faker==40.54.0"], check=True)
    files = os.listdir(tmp)
    census = tarfile.open(os.path.join(tmp, next(f for f in files if f.startswith("names-"))))
    faker = zipfile.ZipFile(os.path.join(tmp, next(f for f in files if f.startswith("faker-"))))
    return census, faker


def main():
    with tempfile.TemporaryDirectory() as tmp:
        census, faker = download(tmp)
        read = lambda n: census.extractfile(f"names-0.3.0/names/{n}").read().decode()
        raw = [l.split()[0] for l in read("dist.all.last").splitlines()[:CENSUS_SURNAMES]]
        raw += [l.split()[0] for n in ("dist.male.first", "dist.female.first") for l in read(n).splitlines()]
        for loc in FAKER_LOCALES:
            src = faker.read(f"faker/providers/person/{loc}/__init__.py").decode()
            raw += [m for m in re.findall(r'"([^"\n]{2,40})"', src)
                    if re.fullmatch(r"[A-Za-zÀ-ÿŒœŁłßØø' -]+", m) and m[0].isupper()]
    names = {w for n in raw for w in words_of(n)}
    pairs = set()
    for w in names:
        for i in range(len(w)):
            v = w[:i] + w[i + 1:]
            if v in names:
                pairs.add((v, w))
        for i in range(len(w) - 1):
            if w[i] != w[i + 1]:
                v = w[:i] + w[i + 1] + w[i] + w[i + 2:]
                if v in names:
                    pairs.add(tuple(sorted((v, w))))
    m = (len(pairs) * BITS_PER_PAIR + 7) // 8 * 8
    bits = bytearray(m // 8)
    for a, b in pairs:
        a, b = sorted((a, b))
        h = 0xCBF29CE484222325
        for byte in f"{a}\0{b}".encode():
            h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        h = fmix64(h)
        h1, h2 = h & 0xFFFFFFFF, (h >> 32) | 1
        for i in range(K):
            bit = (h1 + i * h2) % m
            bits[bit // 8] |= 1 << (bit % 8)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(bits)
    print(f"{len(names)} names, {len(pairs)} pairs one typo apart; {len(bits)} bytes, K={K}: {OUT}")


if __name__ == "__main__":
    main()
