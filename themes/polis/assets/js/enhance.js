// Small progressive enhancements; every page works without them.
(function () {
  // Copy buttons: a button[data-copy] beside a read-only input.copy-source
  // copies the input's value (a citation). Without JavaScript the button
  // stays hidden and the text can be selected by hand.
  if (navigator.clipboard) {
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
  }

  // Search suggestions: an input[data-suggest] gets a datalist filled from
  // /api/search/suggest as the reader types (titles they may read).
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list || !window.fetch) return;
    var timer, last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value;
        if (q.length < 2 || q === last) return;
        last = q;
        fetch("/api/search/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) {
            list.textContent = "";
            (data.suggestions || []).forEach(function (s) {
              var o = document.createElement("option");
              o.value = s;
              list.appendChild(o);
            });
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
