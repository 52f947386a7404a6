// CSS imports are bundled by esbuild into widget.css; they export nothing.
declare module "*.css";
