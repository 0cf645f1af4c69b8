/**
 * The mlestar-lab JupyterLab extension: a left-sidebar panel that follows and steers MLE-STAR runs
 * through the server extension's REST API (`<base_url>/mlestar/api/`).
 */
import { ILabShell, ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog } from '@jupyterlab/filebrowser';
import { LabIcon } from '@jupyterlab/ui-components';
import type { PanelActions } from './components/Panel';
import { MlestarClient } from './model/client';
import { EventFollower } from './model/follower';
import { PanelModel } from './model/panel-model';
import { JupyterTransport } from './transport';
import { MlestarSidebar } from './widget';

const PLUGIN_ID = 'mlestar-lab:panel';
const OPEN_COMMAND = 'mlestar-lab:open-panel';

const icon = new LabIcon({
  name: 'mlestar-lab:star',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" ' +
    'd="M12 2l2.9 6.9 7.1.6-5.4 4.7 1.7 7-6.3-3.9-6.3 3.9 1.7-7L2 9.5l7.1-.6z"/></svg>'
});

function makeActions(
  app: JupyterFrontEnd,
  client: MlestarClient,
  model: PanelModel,
  follower: EventFollower,
  docManager: IDocumentManager | null
): PanelActions {
  return {
    openStep: async (runId, stepId) => {
      const { notebook } = await client.step(runId, stepId);
      if (notebook === null) {
        throw new Error(
          `Step #${stepId} has no executed notebook under the Jupyter root (not run yet, or the workspace is outside the root).`
        );
      }
      await app.commands.execute('docmanager:open', { path: notebook });
    },
    loadStep: (runId, stepId) => client.step(runId, stepId),
    stop: runId => model.stop(runId),
    resume: runId => model.resume(runId),
    answer: (decision, answer) => model.answer(decision, answer),
    download: async path => {
      const url = await app.serviceManager.contents.getDownloadUrl(path);
      const link = document.createElement('a');
      link.href = url;
      link.download = path.split('/').pop() ?? 'submission.csv';
      link.rel = 'noopener';
      document.body.appendChild(link);
      link.click();
      link.remove();
    },
    tasks: async () => (await client.tasks()).tasks,
    pickFolder: async () => {
      if (docManager === null) {
        throw new Error('The file browser is not available in this JupyterLab; type the folder path instead.');
      }
      const result = await FileDialog.getExistingDirectory({ manager: docManager, title: 'Competition folder' });
      const picked = result.button.accept ? result.value?.[0] : undefined;
      return picked ? picked.path : null;
    },
    create: request => model.createRun(request),
    kaggleDownload: request => model.kaggleDownload(request),
    kagglePull: request => model.kagglePull(request),
    kagglePush: (runId, request) => model.kagglePush(runId, request),
    kaggleSubmit: (runId, request) => model.kaggleSubmit(runId, request),
    kaggleStatus: runId => model.kaggleStatus(runId),
    retryNow: () => follower.retryNow()
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Follow and steer MLE-STAR runs from a side panel.',
  autoStart: true,
  requires: [ILabShell],
  optional: [ILayoutRestorer, IDocumentManager, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    shell: ILabShell,
    restorer: ILayoutRestorer | null,
    docManager: IDocumentManager | null,
    palette: ICommandPalette | null
  ) => {
    const client = new MlestarClient(new JupyterTransport());
    const model = new PanelModel(client);
    const follower = new EventFollower(client, {
      onSnapshot: snapshot => model.applySnapshot(snapshot),
      onEvents: page => void model.applyEvents(page),
      onState: (state, error, retryInMs) => model.setConnection(state, error, retryInMs)
    });
    const panel = new MlestarSidebar(model, follower, makeActions(app, client, model, follower, docManager));
    panel.id = 'mlestar-panel';
    panel.title.icon = icon;
    panel.title.caption = 'MLE-STAR runs';
    shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, PLUGIN_ID);
    app.commands.addCommand(OPEN_COMMAND, {
      label: 'Open the MLE-STAR panel',
      execute: () => shell.activateById(panel.id)
    });
    palette?.addItem({ command: OPEN_COMMAND, category: 'MLE-STAR' });
  }
};

export default plugin;
