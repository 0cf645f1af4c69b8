/**
 * The in-notebook run panel (ipywidgets `RunPanel`, mlestar_lab/widget) driven like a user would:
 * open the shipped demo notebook demo_notebooks/run_with_panel.ipynb in JupyterLab, Run All Cells
 * with its default parameters, see the panel render, answer the agent's questions with the
 * panel's buttons, and see the run go on to the end. The widget's stable classes
 * (`mlestar-panel`, `mlestar-status-<status>`, `mlestar-decision-<id>`, `mlestar-approve`, …) are
 * what the test finds. Screenshots go to test-artifacts/.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { artifact, collectConsoleErrors, stopAllRuns } from './helpers';

const DEMO = path.join(__dirname, '..', '..', 'demo_notebooks', 'run_with_panel.ipynb');
// At the server root: the kernel starts there, so the notebook's relative WORKSPACE
// ("mlestar-runs") is the test server's workspace and afterAll can stop a run left waiting.
const NOTEBOOK = 'run_with_panel.ipynb';
// Upper bound for the agent to reach its next gate or its end on a busy 2-core machine.
const AGENT_WAIT = 90 * 1000;

/** The shipped notebook's parameters cell, which must leave the decisions to the panel. */
function parametersSource(): string {
  const notebook = JSON.parse(fs.readFileSync(DEMO, 'utf-8')) as {
    cells: { source: string | string[]; metadata: { tags?: string[] } }[];
  };
  const cell = notebook.cells.find(c => (c.metadata.tags ?? []).includes('parameters'));
  if (cell === undefined) {
    throw new Error(`${DEMO} has no cell tagged "parameters"`);
  }
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** The decision id in a form's `mlestar-decision-<id>` class. */
async function decisionId(form: Locator): Promise<string> {
  const classes = (await form.getAttribute('class')) ?? '';
  const match = /(?:^|\s)mlestar-decision-(\d+)(?:\s|$)/.exec(classes);
  if (match === null) {
    throw new Error(`a decision form without a mlestar-decision-<id> class: "${classes}"`);
  }
  return match[1];
}

async function stage(panel: Locator): Promise<string> {
  return (await panel.locator('.mlestar-header').innerText()).match(/stage (\S+)/)?.[1] ?? '';
}

async function openDemo(page: IJupyterLabPageFixture): Promise<Locator> {
  expect(await page.contents.uploadFile(DEMO, NOTEBOOK)).toBe(true);
  // The leading "/": the file browser goes to the server root first (Galata starts in the test's folder).
  expect(await page.notebook.openByPath(`/${NOTEBOOK}`)).toBe(true);
  expect(await page.notebook.activate(NOTEBOOK)).toBe(true);
  // Run All Cells: `lab.start` returns at once, so every cell ends while the agent works on.
  expect(await page.notebook.run()).toBe(true);
  const notebook = page.locator('.jp-NotebookPanel');
  // The decisions are left to the panel: the answer cell took its "answer in the panel" branch.
  await expect(
    notebook.locator('.jp-OutputArea-output', { hasText: 'Answer the decisions in the panel above' })
  ).toBeVisible();
  const panel = notebook.locator('.mlestar-panel');
  await expect(panel).toHaveCount(1);
  await expect(panel.locator('.mlestar-header')).toBeVisible();
  return panel;
}

test.describe('MLE-STAR run panel in a notebook', () => {
  test.setTimeout(4 * 60 * 1000);

  test.afterAll(async ({ playwright, baseURL }) => {
    const request = await playwright.request.newContext({ baseURL: `${baseURL}/` });
    await stopAllRuns(request);
    await request.dispose();
  });

  test('answers the run from the demo notebook panel', async ({ page }) => {
    expect(parametersSource()).toMatch(/^ANSWER_IN_NOTEBOOK = False$/m);
    expect(parametersSource()).toMatch(/^GATES = "ablation=ask,submission=ask"$/m);
    const consoleErrors = collectConsoleErrors(page);
    const panel = await openDemo(page);
    await expect(panel.locator('.mlestar-status-running, .mlestar-status-created')).toHaveCount(1);
    await expect(panel.locator('.mlestar-stages .mlestar-stage')).not.toHaveCount(0);

    // The ablation gate: the agent waits for an answer.
    const ablation = panel.locator('.mlestar-decision.mlestar-gate-ablation');
    await expect(ablation).toBeVisible({ timeout: AGENT_WAIT });
    const ablationId = await decisionId(ablation);
    await expect(ablation.locator('table.mlestar-ablation')).toBeVisible();
    await ablation.screenshot({ path: artifact('widget-decision-ablation.png') });
    expect(await stage(panel)).toBe('ablation');

    // A rejection without a reason is refused, with the reason shown, and the form stays.
    await ablation.locator('button.mlestar-reject').click();
    await expect(ablation.locator('.mlestar-decision-message')).toContainText('a rejection needs a reason');
    await expect(ablation.locator('button.mlestar-approve')).toBeEnabled();

    // Approve: the decision leaves the panel and the run goes on past the ablation.
    await ablation.locator('button.mlestar-approve').click();
    await expect(panel.locator(`.mlestar-decision-${ablationId}`)).toHaveCount(0);
    await expect.poll(() => stage(panel), { timeout: AGENT_WAIT }).not.toBe('ablation');

    // The submission gate: approve the proposed solution; the run then finishes.
    const submission = panel.locator('.mlestar-decision.mlestar-gate-submission');
    await expect(submission).toBeVisible({ timeout: AGENT_WAIT });
    const submissionId = await decisionId(submission);
    await expect(submission.locator('table.mlestar-choices')).toBeVisible();
    await submission.locator('button.mlestar-approve').click();
    await expect(panel.locator(`.mlestar-decision-${submissionId}`)).toHaveCount(0);
    await expect(panel.locator('.mlestar-status-finished')).toBeVisible({ timeout: AGENT_WAIT });
    await expect(panel.locator('.mlestar-header')).toContainText('submission.csv');
    await expect(panel.locator('.mlestar-decision')).toHaveCount(0);
    await expect(panel.locator('.mlestar-panel-message')).toHaveText('');

    // The refinement the approved ablation led to is in the panel's first tab.
    await expect(panel.locator('.mlestar-refinement').first()).toBeAttached();
    await panel.screenshot({ path: artifact('widget-panel-finished.png') });
    await page.screenshot({ path: artifact('widget-notebook.png') });

    expect(consoleErrors).toEqual([]);
  });
});
