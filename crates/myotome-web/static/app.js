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

// A <span data-countdown="RFC 3339 time"> counts down to that moment (the anesthetic's wait,
// the observation's minimum): "4:32 left", then "now". Without the script the page already
// says the time itself, so nothing is lost.
function tickCountdowns() {
  const now = Date.now();
  for (const el of document.querySelectorAll("[data-countdown]")) {
    const left = Math.round((Date.parse(el.dataset.countdown) - now) / 1000);
    if (Number.isNaN(left)) continue;
    if (left <= 0) {
      el.textContent = el.dataset.done || "now";
      el.classList.add("countdown-done");
    } else {
      const minutes = Math.floor(left / 60);
      const seconds = String(left % 60).padStart(2, "0");
      el.textContent = `${minutes}:${seconds} left`;
    }
  }
}
if (document.querySelector("[data-countdown]")) {
  tickCountdowns();
  window.setInterval(tickCountdowns, 1000);
}
