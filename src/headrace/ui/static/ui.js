// headrace dashboard: draws the Plotly figures a page embeds as JSON
// (<div data-figure="ID"> + <script type="application/json" id="ID">). No inline scripts.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var charts = document.querySelectorAll("[data-figure]");
  if (!charts.length || typeof Plotly === "undefined") {
    return;
  }
  charts.forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-figure"));
    if (!source) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(element, figure.data, figure.layout, { displaylogo: false, responsive: true }).then(function () {
      element.setAttribute("data-drawn", "true");
    });
  });
});
