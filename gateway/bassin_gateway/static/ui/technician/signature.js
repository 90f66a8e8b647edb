// The customer signs on the phone's screen: a canvas the full width of the screen, drawn with
// a finger (or a stylus, or a mouse) through pointer events; the slip takes it as a PNG
// data: URL. Works with no network: nothing leaves the phone until the outbox sends it.

import { el } from "../dom.js";

/** {node, isEmpty(), toDataURL(), clear()} — the pad and its "Effacer" button. */
export function signaturePad(label) {
  const canvas = el("canvas", { class: "signature", role: "img", "aria-label": label, tabindex: "0" });
  const context = canvas.getContext("2d");
  let drawn = false;
  let last = null;

  const size = () => {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 320;
    const height = canvas.clientHeight || 180;
    if (canvas.width === Math.round(width * ratio)) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.lineWidth = 2.5;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#0b2545";
    drawn = false;
  };
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  };
  canvas.addEventListener("pointerdown", (event) => {
    size();
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = point(event);
    context.beginPath();
    context.moveTo(...last);
    context.lineTo(...next);
    context.stroke();
    last = next;
    drawn = true;
  });
  const stop = () => {
    last = null;
  };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  const clear = () => {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
  };
  const node = el("div", { class: "signature-pad" }, canvas, el("button", { type: "button", onclick: clear }, "Effacer la signature"));
  requestAnimationFrame(size);
  return {
    node,
    isEmpty: () => !drawn,
    clear,
    toDataURL: () => {
      // A white background: the slip is printed on white, and a transparent PNG would not be.
      const copy = document.createElement("canvas");
      copy.width = canvas.width;
      copy.height = canvas.height;
      const c = copy.getContext("2d");
      c.fillStyle = "#fff";
      c.fillRect(0, 0, copy.width, copy.height);
      c.drawImage(canvas, 0, 0);
      return copy.toDataURL("image/png");
    },
  };
}
