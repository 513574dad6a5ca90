// The dashboard: five views behind tabs. The overview polls all along (it is the first thing to
// look at, and it notices an ended session); the charts' stream is open only while they are shown;
// the rooms list loads when its view is opened. The view is kept in the address's #fragment, so a
// reload or a shared link opens the same one.

import { startOverview } from "./overview.js";
import { showCharts, hideCharts } from "./charts.js";
import { startRooms, loadLargest } from "./rooms.js";
import { startUsers } from "./users.js";
import { startActions } from "./actions.js";

const VIEWS = ["overview", "charts", "rooms", "users", "actions"];

function show(view) {
  if (!VIEWS.includes(view)) view = "overview";
  for (const v of VIEWS) {
    document.getElementById(`view-${v}`).hidden = v !== view;
    document.getElementById(`tab-${v}`).setAttribute("aria-selected", String(v === view));
  }
  if (view === "charts") showCharts(); else hideCharts();
  if (view === "rooms") loadLargest();
  if (location.hash !== `#${view}`) history.replaceState(null, "", `#${view}`);
}

document.getElementById("tabs").addEventListener("click", (e) => {
  const tab = e.target.closest("button[data-view]");
  if (tab) show(tab.dataset.view);
});
window.addEventListener("hashchange", () => show(location.hash.slice(1)));

startOverview();
startRooms();
startUsers();
startActions();
show(location.hash.slice(1));
