// The routing panel's button fills the filing and assignment forms on the page with the machine's
// suggestion. It never submits: the office checks and submits itself.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-routing-fill]");
  if (!button) return;
  var category = button.getAttribute("data-category");
  var lead = button.getAttribute("data-lead");
  var co = (button.getAttribute("data-co") || "").split(" ").filter(Boolean);
  document.querySelectorAll('select[name="category"]').forEach(function (select) {
    if (category && select.querySelector('option[value="' + category + '"]')) select.value = category;
  });
  document.querySelectorAll('select[name="lead"]').forEach(function (select) {
    if (lead && select.querySelector('option[value="' + lead + '"]')) select.value = lead;
  });
  document.querySelectorAll('select[name="co_units"]').forEach(function (select) {
    Array.prototype.forEach.call(select.options, function (option) {
      option.selected = co.indexOf(option.value) !== -1;
    });
  });
  button.textContent = "已按建议填入，请核对后提交";
});
