/**
 * Shared by every browser test of mlestar-lab: where screenshots go, a console-error collector,
 * and opening the MLE-STAR side panel.
 */
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { APIRequestContext, ConsoleMessage, Locator, Page } from '@playwright/test';
import * as path from 'path';

/** <repo>/test-artifacts: screenshots kept after the run (gitignored, uploaded by CI if it wants). */
export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');

export function artifact(name: string): string {
  return path.join(ARTIFACTS, name);
}

/**
 * Console errors of the page (and uncaught exceptions). Messages in `ignored` are known noise of
 * JupyterLab itself in a headless browser, not of our code.
 */
export function collectConsoleErrors(page: Page, ignored: RegExp[] = []): string[] {
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error' && !ignored.some(re => re.test(message.text()))) {
      errors.push(message.text());
    }
  });
  page.on('pageerror', error => errors.push(`uncaught: ${error.message}`));
  return errors;
}

export async function openMlestarPanel(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.sidebar.openTab('mlestar-panel');
  const panel = page.locator('#mlestar-panel');
  await panel.waitFor({ state: 'visible' });
  return panel;
}

/**
 * Stop every run still going in the test server's workspace. Agents are detached processes that
 * outlive the Jupyter server by design, so a test that leaves a run waiting at a gate would
 * otherwise leave its agent behind.
 */
export async function stopAllRuns(request: APIRequestContext): Promise<string[]> {
  const response = await request.get('mlestar/api/runs');
  if (!response.ok()) {
    throw new Error(`GET mlestar/api/runs: ${response.status()} ${await response.text()}`);
  }
  const { runs } = (await response.json()) as { runs: { id: string }[] };
  const stopped: string[] = [];
  for (const { id } of runs) {
    const run = `mlestar/api/runs/${encodeURIComponent(id)}`;
    const detail = await request.get(run);
    if (!detail.ok()) {
      throw new Error(`GET ${run}: ${detail.status()} ${await detail.text()}`);
    }
    if (!((await detail.json()) as { alive: boolean }).alive) {
      continue;
    }
    const stop = await request.post(`${run}/stop`, { data: {} });
    // 409: the agent ended between the two requests.
    if (!stop.ok() && stop.status() !== 409) {
      throw new Error(`POST ${run}/stop: ${stop.status()} ${await stop.text()}`);
    }
    stopped.push(id);
  }
  return stopped;
}
