// Svelte 5, runes everywhere; no preprocessing beyond TypeScript (built in).
export default {
  compilerOptions: { runes: true },
};
