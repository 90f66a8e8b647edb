// French formats from the browser's Intl (fr-FR), never by hand: 1 234,50 €, 29/11/2026,
// 14:30. Money is handled in integer cents: the API's amounts are strings ("39.90").

const EUROS = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
const NUMBER = new Intl.NumberFormat("fr-FR");
const DATE = new Intl.DateTimeFormat("fr-FR", { day: "2-digit", month: "2-digit", year: "numeric" });
const TIME = new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit" });
const LONG_DATE = new Intl.DateTimeFormat("fr-FR", { weekday: "long", day: "numeric", month: "long", year: "numeric" });

/** "39.90" (the API's amount) → 3990 cents. */
export function cents(amount) {
  const match = /^(-?)(\d+)(?:[.,](\d{1,2}))?$/.exec(String(amount).trim());
  if (!match) return NaN;
  const value = Number(match[2]) * 100 + Number((match[3] || "0").padEnd(2, "0"));
  return match[1] ? -value : value;
}

/** 3990 cents → "39.90" (the API's amount). */
export function amount(valueInCents) {
  const sign = valueInCents < 0 ? "-" : "";
  const absolute = Math.abs(valueInCents);
  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, "0")}`;
}

/** 123450 cents → "1 234,50 €". */
export function euros(valueInCents) {
  return EUROS.format(valueInCents / 100);
}

/** What a person typed as an amount ("12,5", "12.50", "1 234,50") → cents, or NaN. */
export function parseEuros(text) {
  return cents(String(text).replace(/[\s\u00a0\u202f€]/g, ""));
}

export const number = (value) => NUMBER.format(value);
export const date = (instant) => DATE.format(new Date(instant));
export const time = (instant) => TIME.format(new Date(instant));
export const longDate = (instant) => LONG_DATE.format(new Date(instant));

/** Local midnight of today, as ISO-8601 with its offset (what the API's filters take). */
export function startOfToday(now = new Date()) {
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const offset = -midnight.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const day = `${midnight.getFullYear()}-${pad(midnight.getMonth() + 1)}-${pad(midnight.getDate())}`;
  return `${day}T00:00:00${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}
