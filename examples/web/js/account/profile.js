// Profile (updateViewer), email (verification, change) and password.
import { mutate } from "../api.js";
import { $, announce, onSubmit, show } from "../ui.js";

const UPDATE_VIEWER = `mutation UpdateViewer($input: UpdateViewerInput!) {
  updateViewer(input: $input) { user { name image } errors { field message code } }
}`;
const RESEND = `mutation ResendVerification { requestEmailVerification { ok errors { field message code } } }`;
const CHANGE_EMAIL = `mutation RequestEmailChange($input: RequestEmailChangeInput!) {
  requestEmailChange(input: $input) { ok errors { field message code } }
}`;
const CHANGE_PASSWORD = `mutation ChangePassword($input: ChangePasswordInput!) {
  changePassword(input: $input) { user { id } errors { field message code } }
}`;

export function showProfile(viewer) {
  const form = $("#profile-form");
  form.elements.name.value = viewer.name;
  form.elements.image.value = viewer.image ?? "";
  $("#email-status").textContent = `${viewer.email} (${viewer.emailVerified ? "verified" : "not verified yet"})`;
  show($("#resend-form"), !viewer.emailVerified);
}

export function setUpProfile(refresh) {
  onSubmit($("#profile-form"), async ({ name, image }) => {
    const payload = await mutate(UPDATE_VIEWER, { input: { name, image: image.trim() || null } });
    if (payload.user) {
      await refresh();
      announce($("#profile-result"), `Saved: your name is ${payload.user.name}.`);
    }
    return payload;
  });

  onSubmit($("#resend-form"), async () => {
    const payload = await mutate(RESEND);
    if (payload.ok) announce($("#email-result"), "A new verification link is on its way.");
    return payload;
  });

  onSubmit($("#email-form"), async ({ newEmail, password }, form) => {
    const payload = await mutate(CHANGE_EMAIL, { input: { newEmail, password } });
    if (payload.ok) {
      form.reset();
      announce($("#email-result"), `Follow the link we sent to ${newEmail} to finish the change.`);
    }
    return payload;
  });

  onSubmit($("#password-form"), async ({ currentPassword, newPassword, revokeOtherSessions }, form) => {
    const input = { currentPassword, newPassword, revokeOtherSessions: revokeOtherSessions === "on" };
    const payload = await mutate(CHANGE_PASSWORD, { input });
    if (payload.user) {
      form.reset();
      await refresh();
      announce($("#password-result"), "Your password is changed.");
    }
    return payload;
  });
}
