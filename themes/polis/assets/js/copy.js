// Copy buttons: a button[data-copy] beside a read-only input.copy-source
// copies the input's value (a citation). Without JavaScript the button
// stays hidden and the text can be selected by hand.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = button.parentElement.querySelector("input.copy-source");
    if (!input) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = button.getAttribute("data-done") || label;
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        input.select();
      });
    });
  });
})();
