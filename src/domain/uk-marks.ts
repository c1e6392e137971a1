/**
 * Facts about UK registration marks (DOMAIN.md, "UK registration marks") that more than one part needs:
 * the generator makes valid marks with them and the recogniser's syntax accepts only valid marks.
 */

/** Northern Ireland county codes: the two letters after the first of an `LLL N{1,4}` mark; each has I or Z. */
export const NI_COUNTY_CODES: readonly string[] = [
  "AZ",
  "BZ",
  "CZ",
  "DZ",
  "EZ",
  "FZ",
  "GZ",
  "HZ",
  "IA",
  "IB",
  "IG",
  "IJ",
  "IL",
  "IW",
  "JI",
  "JZ",
  "KZ",
  "LZ",
  "MZ",
  "NZ",
  "OI",
  "PZ",
  "RZ",
  "SZ",
  "TZ",
  "UI",
  "UZ",
  "VZ",
  "WZ",
  "XI",
  "XZ",
  "YZ",
];
