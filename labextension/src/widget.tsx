/**
 * The Lumino widget that hosts the React panel and ties the event follower to its visibility:
 * following stops while the panel is hidden (no open request) and restarts, from a fresh
 * snapshot, when it is shown again.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';
import { MlestarPanel, PanelActions } from './components/Panel';
import { EventFollower } from './model/follower';
import { PanelModel } from './model/panel-model';

export class MlestarSidebar extends ReactWidget {
  constructor(
    readonly model: PanelModel,
    private readonly follower: EventFollower,
    private readonly actions: PanelActions
  ) {
    super();
    this.addClass('mlestar-panel');
  }

  protected render(): JSX.Element {
    return <MlestarPanel model={this.model} actions={this.actions} />;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.follower.start();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this.follower.start();
    }
  }

  protected onBeforeHide(msg: Message): void {
    super.onBeforeHide(msg);
    void this.follower.pause();
  }

  dispose(): void {
    void this.follower.dispose();
    super.dispose();
  }
}
