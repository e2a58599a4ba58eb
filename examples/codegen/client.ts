// A typed call to the API: the operation's document and its result type come from the generated code.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { SignInDocument, ViewerDocument } from "./generated/graphql";

export async function request<Result, Variables>(
  url: string,
  document: TypedDocumentNode<Result, Variables>,
  variables?: Variables,
  token?: string,
): Promise<Result> {
  const response = await fetch(url, {
    method: "POST",
    credentials: "include",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data: Result; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

export async function whoAmI(url: string, email: string, password: string): Promise<string | null> {
  const { signIn } = await request(url, SignInDocument, { input: { email, password } });
  if (!signIn.token) return null;
  const { viewer } = await request(url, ViewerDocument, undefined, signIn.token);
  // DateTime is a string (an ISO 8601 moment), not `unknown`: this line type-checks only then.
  const since: string | null | undefined = viewer?.createdAt;
  return viewer ? `${viewer.email} since ${since}` : null;
}
