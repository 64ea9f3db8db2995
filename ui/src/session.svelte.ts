// Where the volunteer is. Decrypted data lives only in the screens'
// component state: when the vault locks, the app subtree is unmounted
// (and `clearSession` empties what is kept here), so nothing stays in
// the page.
export type Screen =
  | { name: 'today' }
  | { name: 'applicants' }
  | { name: 'applicant'; id: string | null }
  | { name: 'newCase'; applicantId: string }
  | { name: 'case'; id: string }
  | { name: 'settings' }
  | { name: 'conflicts' };

export const session = $state<{
  phase: 'loading' | 'first' | 'unlock' | 'app';
  screen: Screen;
  history: Screen[];
  lockedIdle: boolean;
  autoLockMinutes: number;
  /** Last applicant search, restored when coming back to the list. */
  query: string;
  /** The case file last shown in full (bench mode waits on it). */
  loadedCase: string;
}>({
  phase: 'loading',
  screen: { name: 'today' },
  history: [],
  lockedIdle: false,
  autoLockMinutes: 10,
  query: '',
  loadedCase: '',
});

export function navigate(screen: Screen): void {
  session.history.push(session.screen);
  session.screen = screen;
}

export function back(): void {
  session.screen = session.history.pop() ?? { name: 'today' };
}

export function clearSession(): void {
  session.screen = { name: 'today' };
  session.history = [];
  session.query = '';
}

/** Bench mode only (tests/desktop/bench.sh): opens case files one after
 * the other as a volunteer would, then tells the shell to measure. */
export async function openForBench(ids: string[], mark: () => Promise<unknown>): Promise<void> {
  for (const id of ids) {
    session.screen = { name: 'case', id };
    const until = Date.now() + 30_000;
    while (session.loadedCase !== id && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }
  await mark();
}
