// TypeScript types for the operations in operations.graphql, from the API's exported schema.
// Run: npm install && npm run codegen   (npm run check also type-checks the example client)
import type { CodegenConfig } from "@graphql-codegen/cli";
import process from "node:process";

const config: CodegenConfig = {
  // `uv run usergraph export-schema > schema.graphql` keeps this file current.
  schema: process.env.SCHEMA ?? "../../schema.graphql",
  documents: ["operations.graphql"],
  ignoreNoDocuments: false,
  generates: {
    // One preset, not the `typescript` + `typescript-operations` pair: that pair's defaults clash on
    // codegen 6 and later (duplicate or missing enum and input types).
    "generated/": {
      preset: "client",
      config: {
        // The API's custom scalars as they arrive in JSON; without this `DateTime` would be `unknown`.
        scalars: {
          DateTime: { input: "string", output: "string" },
          JSON: { input: "unknown", output: "unknown" },
        },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
