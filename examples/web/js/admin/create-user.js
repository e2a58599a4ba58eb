// Create a user (createUser).
import { mutate } from "../api.js";
import { $, announce, onSubmit } from "../ui.js";

const CREATE = `mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) { user { id email } errors { field message code } }
}`;

export function setUpCreate({ onCreated }) {
  onSubmit($("#create-form"), async ({ email, name, password, role, emailVerified }, form) => {
    const input = { email, name, password, role, emailVerified: emailVerified === "on" };
    const payload = await mutate(CREATE, { input });
    if (payload.user) {
      form.reset();
      announce($("#create-result"), `Created ${payload.user.email}.`);
      onCreated(payload.user);
    }
    return payload;
  });
}
