// esbuild's text loader: the stylesheet as a string (web/build.mjs, the lib build).
declare module '*.css' {
  const text: string;
  export default text;
}
