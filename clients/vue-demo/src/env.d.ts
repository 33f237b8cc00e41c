/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The API's origin, read at build time (`vite build`) or when `vite` starts. */
  readonly VITE_INKWELL_API?: string;
}
