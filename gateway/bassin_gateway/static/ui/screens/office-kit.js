// What the office's screens (purchasing, billing, the cash session) share: tabs kept in the
// address (?vue=…), tables and figures built from data (text nodes only), a file download
// from the API's base64 documents, and the API's messages in French.

import { ApiError, frenchMessages } from "../api.js";
import { el, fill, notice } from "../dom.js";

/** Tabs as links (?vue=id), the current one marked; ``views``: [{id, label, requires}]. */
export function tabs(base, views, current, label) {
  return el(
    "nav",
    { class: "tabs", "aria-label": label },
    views.map((v) => el("a", { href: `${base}?vue=${v.id}`, "data-link": true, "aria-current": v.id === current ? "page" : null }, v.label)),
  );
}

/** The view named by ?vue= among those the user may open (the first one otherwise). */
export function currentView(views) {
  const wanted = new URLSearchParams(location.search).get("vue");
  return (views.find((v) => v.id === wanted) || views[0]).id;
}

/** A table: ``columns`` [{label, num}], ``rows`` arrays of cells (strings or nodes). */
export function table(caption, columns, rows, attributes = {}) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      attributes,
      caption ? el("caption", {}, caption) : null,
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
      el("tbody", {}, rows.map((cells) => (cells instanceof Node ? cells : el("tr", {}, cells.map((cell, i) => el("td", { class: columns[i] && columns[i].num ? "num" : null }, cell)))))),
    ),
  );
}

/** Figures in large type: [[label, value, key]]. */
export function figures(pairs) {
  return el(
    "dl",
    { class: "figures" },
    pairs.map(([label, value, key]) => el("div", {}, el("dt", {}, label), el("dd", { class: "figure", "data-figure": key || null }, value))),
  );
}

/** Save the API's document ({filename, content: base64}) as a file. */
export function download(document_, type = "application/pdf") {
  const bytes = Uint8Array.from(atob(document_.content), (c) => c.charCodeAt(0));
  saveBlob(new Blob([bytes], { type: document_.content_type || type }), document_.filename);
}

export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** An API failure as a notice in French, with the fields' messages. */
export function failure(error, prefix = "") {
  if (!(error instanceof ApiError)) throw error;
  const details = Object.entries(error.errors)
    .map(([, messages]) => frenchMessages(messages))
    .join(" ");
  return notice("error", `${prefix}${error.french}${details ? ` ${details}` : ""}`.trim());
}

/** Run ``work`` with ``button`` disabled; its failure shown in ``place``. */
export async function busy(button, place, work) {
  button.disabled = true;
  try {
    return await work();
  } catch (error) {
    if (place) fill(place, failure(error));
    else throw error;
    return undefined;
  } finally {
    button.disabled = false;
  }
}

export const loading = (what) => el("p", { class: "muted" }, `Chargement ${what}…`);
