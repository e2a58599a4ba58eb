// The admin console: for a signed-in admin (the cookie session of the account page), the users list,
// a user's detail and the create form; impersonation runs on a token kept in memory.
import { gql } from "../api.js";
import { $, announce, el, show } from "../ui.js";
import { setUpCreate } from "./create-user.js";
import { setUpImpersonation } from "./impersonation.js";
import { openUser, setUpDetail } from "./user-detail.js";
import { loadUsers, setUpUsers } from "./users.js";

const VIEWER = `query AdminViewer { viewer { id email name role } }`;

async function start() {
  try {
    const { viewer } = await gql(VIEWER);
    $("#who").textContent = viewer ? `Signed in as ${viewer.name} <${viewer.email}>` : "Not signed in";
    if (viewer?.role !== "ADMIN") {
      show($("#not-admin"), true);
      return;
    }
    show($("#console"), true);
    setUpImpersonation();
    setUpDetail({ onChange: () => loadUsers("same") });
    setUpUsers({ onOpen: openUser });
    setUpCreate({ onCreated: (user) => { loadUsers(); openUser(user.id); } });
    await loadUsers();
  } catch (error) {
    announce($("#page-error"), el("strong", {}, error.code ?? "ERROR"), `: ${error.message}`);
  } finally {
    show($("#loading"), false);
  }
}

start();
