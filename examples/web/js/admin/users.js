// The users list: search, filters and ordering, paged by keyset cursors (first/after forward,
// last/before back); the cursors belong to one filter and ordering, so changing those starts over.
import { gql } from "../api.js";
import { $, clearErrors, el, onSubmit, reportError, values, when } from "../ui.js";

const USERS = `query AdminUsers($first: Int, $after: String, $last: Int, $before: String,
                               $filter: UserFilter, $orderBy: UserOrder) {
  users(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id email name role isActive emailVerified isBanned lastSignInAt createdAt } }
  }
}`;

const state = { query: null, window: null, page: 1, pageInfo: null };
let openUser = () => {};

function query() {
  const { search, role, isActive, emailVerified, isBanned, field, direction, first } = values($("#users-filter"));
  const yesNo = (value) => (value === "" ? null : value === "true");
  return {
    size: Number(first),
    filter: { search: search.trim() || null, role: role || null, isActive: yesNo(isActive),
              emailVerified: yesNo(emailVerified), isBanned: yesNo(isBanned) },
    orderBy: { field, direction },
  };
}

/**
 * Load a page: with no `move` the first page of the form's filter and ordering; "next" and "previous"
 * page from the current page's cursors; "same" reloads the current page (after a change).
 */
export async function loadUsers(move = null) {
  if (!move || !state.query) move = null;
  const query_ = move ? state.query : query();
  const size = query_.size;
  const window = {
    next: () => ({ first: size, after: state.pageInfo.endCursor }),
    previous: () => ({ last: size, before: state.pageInfo.startCursor }),
    same: () => state.window,
  }[move]?.() ?? { first: size };
  const { users } = await gql(USERS, { ...window, filter: query_.filter, orderBy: query_.orderBy });
  state.query = query_;
  state.window = window;
  state.page = move === "next" ? state.page + 1 : move === "previous" ? state.page - 1 : move ? state.page : 1;
  state.pageInfo = users.pageInfo;
  render(users);
}

function render({ totalCount, edges, pageInfo }) {
  const from = (state.page - 1) * state.query.size + 1;
  $("#users-caption").textContent = edges.length
    ? `Page ${state.page}: users ${from}–${from + edges.length - 1} of ${totalCount}`
    : `No users match (${totalCount})`;
  $("#users-body").replaceChildren(...edges.map(({ node }) => el("tr", { "data-user-id": node.id },
    el("td", {}, el("a", { href: `#${node.id}`, onclick: (event) => { event.preventDefault(); openUser(node.id); } }, node.email)),
    el("td", {}, node.name),
    el("td", {}, node.role),
    el("td", {}, [node.isActive ? "active" : "deactivated", node.emailVerified ? "verified" : "unverified",
                  node.isBanned ? "banned" : null].filter(Boolean).join(", ")),
    el("td", {}, when(node.lastSignInAt)),
    el("td", {}, when(node.createdAt)),
  )));
  updatePager();
}

function updatePager() {
  $("#users-next").disabled = !state.pageInfo?.hasNextPage;
  $("#users-previous").disabled = state.page <= 1 || !state.pageInfo?.hasPreviousPage;
}

/** The pager's buttons: disabled while a page loads, then as the new page's pageInfo says. */
function pager(button, move) {
  const form = $("#users-form");
  button.addEventListener("click", async () => {
    clearErrors(form);
    $("#users-next").disabled = $("#users-previous").disabled = true;
    try {
      await loadUsers(move);
    } catch (error) {
      reportError(form, error);
      updatePager();
    }
  });
}

export function setUpUsers({ onOpen }) {
  openUser = onOpen;
  onSubmit($("#users-filter"), () => loadUsers());
  pager($("#users-next"), "next");
  pager($("#users-previous"), "previous");
}
