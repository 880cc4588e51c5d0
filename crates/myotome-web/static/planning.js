// Planning pages: comfort only; every page works without this script.
//
// - The plan builder (form[data-autosubmit]) moves to the next step as soon as a choice that
//   opens or changes a step (protocol, indication, region) is made.
// - A Print button (button[data-print], hidden without this script) opens the print dialog.
"use strict";
document.addEventListener("change", (event) => {
  const field = event.target;
  const form = field.form;
  if (form && form.hasAttribute("data-autosubmit") && ["protocol", "indication", "region"].includes(field.name)) {
    const next = form.querySelector("#next-step");
    if (next) {
      form.requestSubmit(next);
    }
  }
});
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
