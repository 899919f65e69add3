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

// Issue 18: the date picker in German (Monday first, German month and day names), dates shown as 31.12.2024
// and posted as ISO 2024-12-31, which the server reads.
(function () {
  if (!window.moment) {
    return;
  }
  window.moment.locale("de-ch", {
    months: ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
      "November", "Dezember"],
    monthsShort: ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."],
    weekdays: ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
    weekdaysShort: ["So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."],
    weekdaysMin: ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
    week: {dow: 1, doy: 4}
  });
  var ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
  var SWISS = /^(\d{2})\.(\d{2})\.(\d{4})$/;
  document.querySelectorAll("input[data-role=datepicker]").forEach(function (input) {
    input.setAttribute("data-date-format", "DD.MM.YYYY");
    var iso = ISO.exec(input.value);
    if (iso) {
      input.value = iso[3] + "." + iso[2] + "." + iso[1];
    }
    input.setAttribute("placeholder", "TT.MM.JJJJ");
  });
  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("input[data-role=datepicker]").forEach(function (input) {
      var swiss = SWISS.exec(input.value.trim());
      if (swiss) {
        input.value = swiss[3] + "-" + swiss[2] + "-" + swiss[1];
      }
    });
  }, true);
  // the picker's month and year selects get names for screen readers
  document.addEventListener("mousedown", function () {
    window.setTimeout(function () {
      document.querySelectorAll(".daterangepicker select.monthselect").forEach(function (s) {
        s.setAttribute("aria-label", "Monat");
      });
      document.querySelectorAll(".daterangepicker select.yearselect").forEach(function (s) {
        s.setAttribute("aria-label", "Jahr");
      });
    }, 0);
  });
})();
