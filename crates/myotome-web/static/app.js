// Myotome — the little script every page loads. Pages work without it; it only adds comfort.
//
// Buttons marked data-confirm ask before submitting (cancel an appointment, revoke a token).
"use strict";
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
