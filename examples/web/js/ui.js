// Small DOM helpers shared by the pages: forms, error display, focus, tables.
import { ApiError } from "./api.js";

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** Build an element: el("button", {type: "button", onclick}, "Revoke"). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, value);
  }
  node.append(...children.filter((child) => child != null));
  return node;
}

export function show(node, visible = true) {
  node.hidden = !visible;
}

export function values(form) {
  return Object.fromEntries(new FormData(form));
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "never";
}

function summary(form) {
  let box = $(".errors", form);
  if (!box) {
    box = el("div", { class: "errors", role: "alert", tabindex: "-1" });
    form.prepend(box);
  }
  return box;
}

export function clearErrors(form) {
  const box = $(".errors", form);
  if (box) box.replaceChildren();
  if (box) box.hidden = true;
  for (const input of $$("[aria-invalid]", form)) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  $$(".field-error", form).forEach((node) => node.remove());
}

/**
 * Show a payload's `errors` ({field, message, code}): each next to its input (field ["input", "email"]
 * is the input named "email"), all in the form's summary; focus the first invalid input, else the summary.
 */
export function showErrors(form, errors) {
  clearErrors(form);
  const box = summary(form);
  let first = null;
  for (const { field, message, code } of errors) {
    box.append(el("p", {}, el("strong", {}, code ?? "ERROR"), `: ${message}`));
    const name = field?.[field.length - 1];
    const input = name && form.elements.namedItem(name);
    if (input instanceof HTMLElement) {
      const id = `${form.id}-${name}-error`;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      input.after(el("span", { class: "field-error", id, "data-code": code }, message));
      first ??= input;
    }
  }
  box.hidden = false;
  (first ?? box).focus();
}

/** Put a result where the user (and a screen reader) will find it, and move focus there. */
export function announce(region, ...content) {
  region.replaceChildren(...content);
  region.hidden = false;
  region.setAttribute("tabindex", "-1");
  region.focus();
}

/**
 * Wire a form: on submit run `action(values, form)`; a thrown ApiError or a returned payload with
 * errors is shown on the form. The submit button is disabled meanwhile.
 */
export function onSubmit(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("button[type=submit], button:not([type])", form);
    if (button) button.disabled = true;
    clearErrors(form);
    try {
      const payload = await action(values(form), form);
      if (payload?.errors?.length) showErrors(form, payload.errors);
    } catch (error) {
      reportError(form, error);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

export function reportError(form, error) {
  if (!(error instanceof ApiError)) console.error(error);
  showErrors(form, [{ message: error.message, code: error.code ?? "ERROR" }]);
}

/** Run `action` when `button` is clicked; a payload's errors or a thrown error go to `form`. */
export function onClick(button, form, action) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    clearErrors(form);
    try {
      const payload = await action();
      if (payload?.errors?.length) showErrors(form, payload.errors);
    } catch (error) {
      reportError(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function actionButton(label, form, action, attributes = {}) {
  return onClick(el("button", { type: "button", ...attributes }, label), form, action);
}
