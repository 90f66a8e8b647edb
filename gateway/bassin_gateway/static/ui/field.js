// What the planner and the SAV desk share: their stylesheet, calendar days as the API
// writes them ("2026-05-11"), the French names of the construction steps, photos resized
// before they are sent.

import { el } from "./dom.js";
import { date } from "./format.js";

/** The field screens' stylesheet, added once to the page. */
export function useFieldStyles() {
  if (document.getElementById("field-css")) return;
  document.head.append(el("link", { id: "field-css", rel: "stylesheet", href: "/ui/field.css" }));
}

const MS_PER_DAY = 86_400_000;

/** "2026-05-11" → a day number (days since 1970-01-01), free of time zones. */
export function dayNumber(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return Date.UTC(y, m - 1, d) / MS_PER_DAY;
}

/** A day number → "2026-05-11". */
export function isoDay(number) {
  return new Date(number * MS_PER_DAY).toISOString().slice(0, 10);
}

/** "2026-05-11" → "11/05/2026". */
export function day(iso) {
  return iso ? date(`${iso}T12:00:00`) : "—";
}

const WEEKDAY = new Intl.DateTimeFormat("fr-FR", { weekday: "short", day: "2-digit", month: "2-digit", timeZone: "UTC" });
/** "2026-05-11" → "lun. 11/05". */
export function shortDay(iso) {
  return WEEKDAY.format(new Date(dayNumber(iso) * MS_PER_DAY));
}

/** The Monday of the week of ``iso``. */
export function monday(iso) {
  const n = dayNumber(iso);
  const weekday = (new Date(n * MS_PER_DAY).getUTCDay() + 6) % 7; // 0 = Monday
  return isoDay(n - weekday);
}

/** Today in the browser's time zone, as "2026-05-11". */
export function today() {
  const now = new Date();
  return isoDay(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / MS_PER_DAY);
}

// The words of the trade for the default templates' steps (the API names them in English).
const STEPS = {
  permit: "Plans et permis",
  layout: "Piquetage",
  earthworks: "Terrassement",
  drainage: "Drainage",
  slab: "Radier",
  structure: "Murs et réservations",
  hydraulics: "Hydraulique",
  backfill: "Remblaiement",
  waterproofing: "Étanchéité / liner",
  coping: "Margelles et plage",
  technical_room: "Local technique et électricité",
  safety_device: "Dispositif de sécurité",
  filling: "Mise en eau et PV de réception",
};
export const stepName = (task) => STEPS[task.step_code] || task.name || task.step_code;

export const SKILLS = {
  earthworks: "terrassement",
  masonry: "maçonnerie",
  plumbing: "plomberie",
  waterproofing: "étanchéité",
  electrics: "électricité",
  finishing: "finitions",
};

/** A photo file from the camera, resized to at most ``side`` pixels and re-encoded as
 * JPEG (a site report needs no 12 MP): {content_type, data (base64)}. */
export async function resizedPhoto(file, side = 1600) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
  const canvas = el("canvas", { width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { content_type: "image/jpeg", data: btoa(binary) };
}
