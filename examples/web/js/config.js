// Where the API lives. `?api=http://host:port` on any page sets it (kept for the tab's later pages);
// otherwise the page's own host on port 8000, `usergraph serve`'s default.
const KEY = "usergraph.api";
const fromQuery = new URLSearchParams(location.search).get("api");
if (fromQuery) sessionStorage.setItem(KEY, fromQuery.replace(/\/+$/, ""));

export const API_URL = sessionStorage.getItem(KEY) ?? `${location.protocol}//${location.hostname}:8000`;
