// Confirmation before actions that move money or decide on a form (issue 18). An external file, no inline
// script: the strict CSP stays. A form with data-confirm asks first; cancelling sends nothing.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
