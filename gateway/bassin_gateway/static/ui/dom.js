// Building the DOM without HTML strings: text is always a text node (nothing from the data
// is ever parsed as HTML), and the CSP forbids inline scripts and styles anyway.

/** el("button", {class: "primary", onclick: f}, "Payer") — attributes starting with "on"
 * are listeners; true/false toggle boolean attributes; children may be strings, nodes,
 * arrays or null (skipped). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of ``node``. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let counter = 0;
/** A unique id, for label/aria links. */
export function uid(prefix = "id") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled field: label, input, and a place for its error (aria-describedby). */
export function field(label, input, hint = null) {
  const id = input.id || (input.id = uid("champ"));
  const error = el("p", { class: "field-error", id: `${id}-erreur`, hidden: true });
  const help = hint ? el("p", { class: "hint", id: `${id}-aide` }, hint) : null;
  input.setAttribute("aria-describedby", [help && help.id, error.id].filter(Boolean).join(" "));
  return el("div", { class: "field" }, el("label", { for: id }, label), help, input, error);
}

/** Show ``message`` as the error of the field holding ``input`` (null clears it). */
export function fieldError(input, message) {
  const error = document.getElementById(`${input.id}-erreur`);
  if (!error) return;
  error.textContent = message || "";
  error.hidden = !message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

/** A message in a live region (role=status, or role=alert for errors). */
export function notice(kind, ...children) {
  return el("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}

/** Call ``f`` at most once per ``ms`` of quiet (search as you type). */
export function debounce(f, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => f(...args), ms);
  };
}
