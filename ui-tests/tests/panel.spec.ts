/**
 * The MLE-STAR side panel driven like a user would: start an offline run on the demo competition
 * with every gate on "ask", answer each decision (approve the ablation's choice, reject one
 * refinement, edit another's block), watch the score chart grow, open a step's notebook, and
 * download the submission when the run finishes. Screenshots go to test-artifacts/.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import * as fs from 'fs';
import { artifact, collectConsoleErrors, openMlestarPanel, stopAllRuns } from './helpers';

const EDITED_PLAN = 'Hand-edited in the browser test: keep the block, add a note.';
const REJECT_REASON = 'Not this one: rejected from the browser test.';

async function widenSidebar(page: IJupyterLabPageFixture, width: number): Promise<void> {
  const handle = page.locator('#jp-main-split-panel > .lm-SplitPanel-handle').first();
  const box = await handle.boundingBox();
  if (box === null) {
    throw new Error('no split handle next to the left sidebar');
  }
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(width, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
}

async function startRun(page: IJupyterLabPageFixture, panel: Locator): Promise<void> {
  await panel.getByTestId('mlestar-new-run-open').click();
  const form = panel.getByTestId('mlestar-new-run');
  // Pick the competition folder in JupyterLab's file dialog.
  await form.getByRole('button', { name: 'Browse…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('.jp-DirListing-item', { hasText: 'competitions' }).dblclick();
  await dialog.locator('.jp-DirListing-item', { hasText: 'diabetes' }).click();
  await dialog.getByRole('button', { name: 'Select' }).click();
  await expect(form.locator('input[name=task]')).toHaveValue('competitions/diabetes');
  await form.locator('input[name=timeBudget]').fill('4m');
  await form.locator('input[name=workers]').fill('2');
  await form.locator('summary', { hasText: 'MLE-STAR steps' }).click();
  await form.locator('input[name=models]').fill('2');
  await form.locator('input[name=outerSteps]').fill('1');
  await form.locator('input[name=innerSteps]').fill('2');
  await form.locator('input[name=ensembleRounds]').fill('1');
  await form.getByTestId('mlestar-gates-all-ask').click();
  await expect(form.locator('select[name=gate-ablation]')).toHaveValue('ask');
  await form.getByTestId('mlestar-start-run').click();
  await expect(panel.getByTestId('mlestar-run-view')).toBeVisible();
}

test.describe('MLE-STAR panel', () => {
  test.setTimeout(8 * 60 * 1000);

  test.afterAll(async ({ playwright, baseURL }) => {
    const request = await playwright.request.newContext({ baseURL: `${baseURL}/` });
    await stopAllRuns(request);
    await request.dispose();
  });

  test('steers a whole run from the side panel', async ({ page }) => {
    const consoleErrors = collectConsoleErrors(page);
    const panel = await openMlestarPanel(page);
    await widenSidebar(page, 760);
    await expect(panel.getByTestId('mlestar-connection')).toHaveText('connected');
    await startRun(page, panel);
    const runView = panel.getByTestId('mlestar-run-view');
    const chart = panel.getByTestId('mlestar-score-chart');

    const seen: string[] = [];
    let refinements = 0;
    let earlyPoints: number | null = null;
    const next = panel.locator(
      '[data-testid=mlestar-decision], [data-testid=mlestar-run-view][data-status=finished], ' +
        '[data-testid=mlestar-run-view][data-status=failed]'
    );
    for (let i = 0; i < 30; i++) {
      await next.first().waitFor({ state: 'visible', timeout: 4 * 60 * 1000 });
      const status = await runView.getAttribute('data-status');
      if (status === 'finished' || status === 'failed') {
        break;
      }
      const card = panel.getByTestId('mlestar-decision').first();
      const gate = (await card.getAttribute('data-gate')) ?? '';
      const id = await card.getAttribute('data-decision');
      seen.push(gate);
      if (earlyPoints === null && (await chart.count()) > 0) {
        earlyPoints = Number(await chart.getAttribute('data-points'));
      }
      if (gate === 'ablation') {
        const chosen = card.locator('tr[data-chosen=true]');
        await expect(chosen).toHaveCount(1);
        await card.screenshot({ path: artifact('decision-ablation.png') });
        await card.getByTestId('mlestar-approve').click();
      } else if (gate === 'refinement' && refinements === 0) {
        refinements += 1;
        await expect(card.getByTestId('mlestar-diff').first()).toBeVisible();
        await card.screenshot({ path: artifact('decision-refinement-diff.png') });
        await card.getByTestId('mlestar-reject').click();
        // A rejection without a reason cannot be sent.
        await expect(card.getByTestId('mlestar-reject-submit')).toBeDisabled();
        await card.getByTestId('mlestar-reject-reason').fill(REJECT_REASON);
        await card.getByTestId('mlestar-reject-submit').click();
      } else if (gate === 'refinement' && refinements === 1) {
        refinements += 1;
        await card.getByTestId('mlestar-edit').click();
        await card.getByTestId('mlestar-edit-plan').fill(EDITED_PLAN);
        const editor = card.locator('.mlestar-editor .cm-content');
        await editor.click();
        await page.keyboard.press('Control+End');
        await page.keyboard.type('\n# edited in the browser test\n');
        await card.getByTestId('mlestar-edit-submit').click();
      } else {
        await card.getByTestId('mlestar-approve').click();
      }
      // The answered decision leaves the panel (no reload: the event follower refreshes it).
      await expect(panel.locator(`[data-testid=mlestar-decision][data-decision="${id}"]`)).toHaveCount(0);
      await expect(panel.locator('.mlestar-error')).toHaveCount(0);
    }

    await expect(runView).toHaveAttribute('data-status', 'finished');
    for (const gate of ['retrieval', 'candidate', 'ablation', 'refinement', 'ensemble', 'submission']) {
      expect(seen).toContain(gate);
    }
    expect(refinements).toBe(2);

    // The score chart grew while the run went on.
    expect(earlyPoints).not.toBeNull();
    const finalPoints = Number(await chart.getAttribute('data-points'));
    expect(finalPoints).toBeGreaterThan(earlyPoints ?? 0);
    await chart.screenshot({ path: artifact('score-chart.png') });

    // The rejected plan and the user's edit are in the run view.
    const outer = panel.getByTestId('mlestar-outer-step').first();
    await expect(outer.locator('[data-testid=mlestar-refinement][data-status=rejected]')).toHaveCount(1);
    await expect(outer.getByText(EDITED_PLAN)).toBeVisible();
    await expect(outer.locator('tr[data-chosen=true]')).toHaveCount(1);
    await outer.getByTestId('mlestar-ablation-table').screenshot({ path: artifact('ablation-table.png') });
    const edited = outer.locator('[data-testid=mlestar-refinement]', { hasText: EDITED_PLAN });
    await expect(edited.getByTestId('mlestar-decided-by')).toHaveText('user-edited');
    await expect(
      outer.locator('[data-testid=mlestar-refinement][data-status=rejected]').getByTestId('mlestar-decided-by')
    ).toHaveText('user-rejected');
    await edited.getByTestId('mlestar-show-diff').click();
    await expect(edited.getByTestId('mlestar-diff').first()).toContainText('edited in the browser test');
    await edited.screenshot({ path: artifact('refinement-diff.png') });
    await panel.getByTestId('mlestar-ensembles').screenshot({ path: artifact('ensembles.png') });
    await page.screenshot({ path: artifact('run-view.png') });

    // Download the submission.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByTestId('mlestar-download').click()
    ]);
    expect(download.suggestedFilename()).toBe('submission.csv');
    const saved = artifact('submission.csv');
    await download.saveAs(saved);
    const lines = fs.readFileSync(saved, 'utf-8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(10);

    // Open a step's executed notebook with one click.
    await panel.getByTestId('mlestar-steps').getByTestId('mlestar-open-notebook').first().click();
    await expect(page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'executed.ipynb' })).toBeVisible();
    await expect(page.locator('.jp-NotebookPanel .jp-OutputArea-output').first()).toBeVisible();

    // The same run view in the dark theme.
    await page.theme.setDarkTheme();
    await panel.getByTestId('mlestar-ensembles').scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifact('run-view-dark.png') });

    expect(consoleErrors).toEqual([]);
  });

  test('shows a refused request, and stops and resumes a run', async ({ page }) => {
    const panel = await openMlestarPanel(page);
    await panel.getByTestId('mlestar-new-run-open').click();
    const form = panel.getByTestId('mlestar-new-run');
    // Bad input: the server's message is shown and the form keeps what was typed.
    await form.locator('input[name=task]').fill('competitions/nowhere');
    await form.getByTestId('mlestar-start-run').click();
    await expect(form.getByRole('alert')).toContainText('is not a folder under the server root');
    await expect(form.locator('input[name=task]')).toHaveValue('competitions/nowhere');

    await form.locator('input[name=task]').fill('competitions/diabetes');
    await form.locator('input[name=timeBudget]').fill('2m');
    await form.locator('select[name=gate-retrieval]').selectOption('ask');
    await form.getByTestId('mlestar-start-run').click();
    const runView = panel.getByTestId('mlestar-run-view');
    const retrieval = panel.locator('[data-testid=mlestar-decision][data-gate=retrieval]');
    await expect(retrieval).toBeVisible();

    await panel.getByTestId('mlestar-stop').click();
    await expect(runView).toHaveAttribute('data-status', 'interrupted');
    await expect(panel.getByTestId('mlestar-stop')).toHaveCount(0);
    await panel.getByTestId('mlestar-resume').click();
    await expect(runView).toHaveAttribute('data-status', 'running');
    // The resumed run waits for the same decision again.
    await expect(retrieval).toBeVisible();
    await panel.getByTestId('mlestar-stop').click();
    await expect(runView).toHaveAttribute('data-status', 'interrupted');
  });

  test('says so when the server extension is missing', async ({ page }) => {
    await page.route(/\/mlestar\/api\//, route => route.fulfill({ status: 404, body: '<html>404: Not Found</html>' }));
    const panel = await openMlestarPanel(page);
    await expect(panel.getByTestId('mlestar-missing-extension')).toContainText('server extension');
  });

  test('stops following while hidden and reconnects after losing the server', async ({ page }) => {
    const panel = await openMlestarPanel(page);
    const connection = panel.getByTestId('mlestar-connection');
    await expect(connection).toHaveText('connected');
    // Hiding the panel aborts its open long poll: no request stays open for a hidden panel.
    const aborted = page.waitForEvent('requestfailed', r => r.url().includes('/mlestar/api/events'));
    await page.sidebar.openTab('filebrowser');
    await aborted;
    // The server "goes away" while the panel is hidden; shown again, the panel says so and retries.
    await page.route(/\/mlestar\/api\//, route => route.abort('connectionrefused'));
    await openMlestarPanel(page);
    await expect(panel.getByRole('alert')).toContainText('Lost the server');
    await expect(connection).toHaveText('reconnecting');
    await page.unroute(/\/mlestar\/api\//);
    await panel.getByRole('button', { name: 'Retry now' }).click();
    await expect(connection).toHaveText('connected');
    await expect(panel.getByRole('alert')).toHaveCount(0);
  });

  test('works from the keyboard', async ({ page }) => {
    const panel = await openMlestarPanel(page);
    await panel.getByTestId('mlestar-new-run-open').focus();
    await page.keyboard.press('Enter');
    // The form takes the focus when it opens.
    const task = panel.locator('input[name=task]');
    await expect(task).toBeFocused();
    await page.keyboard.type('no/such/folder');
    await page.keyboard.press('Enter');
    await expect(panel.getByTestId('mlestar-new-run').getByRole('alert')).toContainText('no/such/folder');
    await page.keyboard.press('Tab');
    await expect(panel.getByRole('button', { name: 'Browse…' })).toBeFocused();
  });

  test('is readable in the dark theme', async ({ page }) => {
    await page.theme.setDarkTheme();
    const panel = await openMlestarPanel(page);
    await expect(panel.getByTestId('mlestar-connection')).toHaveText('connected');
    const background = await panel.evaluate(el => getComputedStyle(el).backgroundColor);
    const color = await panel.evaluate(el => getComputedStyle(el).color);
    expect(background).not.toBe(color);
    await page.screenshot({ path: artifact('dark-theme.png') });
  });
});
