// Bundles each widget's entry (src/widget.tsx: EndpointPanel; src/explorer.tsx: ServingExplorer,
// which renders the same panel inside) with the CSS it imports into ../src/serving_panel/static/
// as one self-contained ESM file per widget: anywidget loads it as the widget's _esm from a
// string, so there is no code splitting and nothing may come from a CDN.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");

/** @type {import("esbuild").BuildOptions} */
const options = {
  entryPoints: { widget: "src/widget.tsx", explorer: "src/explorer.tsx" },
  outdir: "../src/serving_panel/static",
  bundle: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  legalComments: "none",
  // Bundled UMD code must not see a page's RequireJS (anywidget#369).
  define: { "define.amd": "false" },
  logLevel: "info",
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
