// Behaviour that Flask-Admin's templates attach inline, bound here so the admin runs under a strict CSP.
document.addEventListener("click", function (event) {
  var confirmButton = event.target.closest("button[data-confirm]");
  if (confirmButton && !window.confirm(confirmButton.getAttribute("data-confirm"))) {
    event.preventDefault();
    return;
  }
  var addInline = event.target.closest("[data-inline-add]");
  if (addInline) {
    event.preventDefault();
    window.faForm.addInlineField(addInline, addInline.getAttribute("data-inline-add"));
    return;
  }
  if (event.target.closest("[data-prevent-default]")) {
    event.preventDefault();
  }
});
