// The only script of the site (the Content-Security-Policy allows no inline
// script): buttons marked data-print print the page; the menu button opens
// and closes the navigation on narrow screens (without the script the
// navigation stays open).
document.documentElement.classList.add("js");
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});
document.querySelectorAll(".menu-toggle").forEach(function (b) {
  var nav = document.getElementById(b.getAttribute("aria-controls"));
  if (!nav) { return; }
  b.addEventListener("click", function () {
    var open = nav.classList.toggle("open");
    b.setAttribute("aria-expanded", open ? "true" : "false");
  });
});
// On a phone the filters of a list fold away (the list comes first); the
// reader opens them with their summary.
if (window.matchMedia("(max-width: 760px)").matches) {
  document.querySelectorAll("details.fold").forEach(function (d) { d.open = false; });
}
