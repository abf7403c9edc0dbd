// The "Send a new code" button of the code pages waits as long as the server says
// (data-wait seconds), counting down in words, then turns on.
(function () {
  "use strict";
  const button = document.querySelector("[data-resend]");
  if (!button) return;
  const words = document.querySelector("[data-resend-wait]");
  let left = parseInt(button.dataset.wait || "0", 10);
  if (left <= 0) return;
  const tick = () => {
    left -= 1;
    if (left > 0) {
      const seconds = words.querySelector("[data-seconds]");
      if (seconds) seconds.textContent = String(left);
      return;
    }
    clearInterval(timer);
    button.disabled = false;
    words.textContent = "";
  };
  const timer = setInterval(tick, 1000);
})();
