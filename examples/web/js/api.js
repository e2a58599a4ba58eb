// The GraphQL client: one POST per operation, with the session cookie (credentials: "include") or,
// when given, a bearer token (the admin console's impersonation token, which never becomes a cookie).
import { API_URL } from "./config.js";

/** A top-level GraphQL error (UNAUTHENTICATED, FORBIDDEN, ...) or a network/CORS failure. */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export async function gql(query, variables = {}, { token } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`${API_URL}/graphql`, {
      method: "POST", credentials: "include", headers, body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    // fetch gives no detail on a CORS refusal: say where to look.
    throw new ApiError(`Cannot reach the API at ${API_URL} (is it running, and is this page's origin `
      + `in its CORS_ORIGINS?)`, "NETWORK_ERROR");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The API answered HTTP ${response.status} without a GraphQL body`, "HTTP_ERROR");
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    throw new ApiError(first.message, first.extensions?.code ?? "ERROR");
  }
  return body.data;
}

/** A mutation's payload (the caller looks at its `errors`, the user-fixable problems). */
export async function mutate(query, variables, options) {
  const data = await gql(query, variables, options);
  return Object.values(data)[0];
}
