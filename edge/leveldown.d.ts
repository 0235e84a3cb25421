// leveldown ships no types; the edge uses only its factory (see coalesced-leveldown.ts).
declare module 'leveldown' {
  const leveldown: ((location: string) => unknown) & { destroy: unknown };
  export default leveldown;
}
