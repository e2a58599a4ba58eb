// The account page: the email links' pages, else signed out (sign in, sign up, forgot password) or
// signed in (profile, email, password, sessions, two-factor, security activity).
import { gql } from "../api.js";
import { $, announce, el, show } from "../ui.js";
import { setUpSignedOut } from "./auth.js";
import { showEvents } from "./events.js";
import { showLinkPage } from "./links.js";
import { setUpProfile, showProfile } from "./profile.js";
import { setUpSessions, showSessions } from "./sessions.js";
import { setUpTwoFactor, showTwoFactor } from "./two-factor.js";

const VIEWER = `query AccountViewer {
  viewer { id email name image emailVerified twoFactorEnabled lastSignInAt }
}`;

/** Show the page for whoever the cookie says is signed in (after sign-in, sign-out, any change). */
export async function refresh() {
  const { viewer } = await gql(VIEWER);
  for (const region of document.querySelectorAll(".result")) show(region, false);
  show($("#signed-out"), !viewer);
  show($("#signed-in"), Boolean(viewer));
  $("#who").textContent = viewer ? `Signed in as ${viewer.name} <${viewer.email}>` : "Not signed in";
  if (viewer) {
    showProfile(viewer);
    showTwoFactor(viewer);
    await Promise.all([showSessions(), showEvents()]);
  }
  return viewer;
}

async function start() {
  const token = new URLSearchParams(location.search).get("token");
  const route = location.pathname.replace(/\/+$/, "");
  try {
    if (showLinkPage(route, token)) return;
    setUpSignedOut(refresh);
    setUpProfile(refresh);
    setUpSessions(refresh);
    setUpTwoFactor(refresh);
    await refresh();
  } catch (error) {
    announce($("#page-error"), el("strong", {}, error.code ?? "ERROR"), `: ${error.message}`);
  } finally {
    show($("#loading"), false);
  }
}

start();
