/* Signing out forgets what this browser kept for the user: transcript text typed while the
 * connection was down (kept under "fieldwork:" keys until the server has it) must not stay
 * on a shared or seized computer. Text not yet saved is lost by signing out; the page that
 * keeps it says so. */
document.addEventListener("submit", function (event) {
  if (!event.target.matches("form[data-forget-local]")) return;
  try {
    var prefix = event.target.dataset.forgetLocal;
    for (var i = window.localStorage.length - 1; i >= 0; i--) {
      var key = window.localStorage.key(i);
      if (key && key.indexOf(prefix) === 0) window.localStorage.removeItem(key);
    }
  } catch (e) { /* storage unavailable: nothing was kept */ }
});
