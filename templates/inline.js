// Jitsi's inline login (tokenAuthInline): hands the result to the Jitsi window that opened
// this pop-up, or that holds this page in a hidden frame for logging out. The message goes
// only to the configured Jitsi origin, which is also the only origin Jitsi accepts it from.
(function () {
  "use strict";
  var el = document.getElementById("bridge-message");
  if (!el) {
    return;
  }
  var origin = el.getAttribute("data-origin");
  var message = JSON.parse(el.getAttribute("data-message"));
  var target = window.opener || (window.parent !== window ? window.parent : null);
  if (target) {
    target.postMessage(message, origin);
    return;
  }
  // Opened without a Jitsi window (a bookmark, a blocked opener): continue in this one.
  var fallback = el.getAttribute("data-fallback");
  if (fallback) {
    window.location.replace(fallback);
  }
})();
