/**
 * CodeMirror 6 views: the side-by-side merge view of one block's change and the block editor
 * of an edit. Both use JupyterLab's editor theme, so they follow the light or dark theme.
 * Tab is left to the browser (no indent-with-tab), so keyboard users can move past an editor.
 */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { python } from '@codemirror/lang-python';
import { MergeView } from '@codemirror/merge';
import { EditorState, Extension } from '@codemirror/state';
import { EditorView, keymap, lineNumbers } from '@codemirror/view';
import { jupyterTheme } from '@jupyterlab/codemirror';
import React, { useEffect, useRef } from 'react';
import { BlockSides } from '../model/diff';

function readOnly(label: string): Extension[] {
  return [
    lineNumbers(),
    python(),
    jupyterTheme,
    EditorState.readOnly.of(true),
    EditorView.editable.of(false),
    EditorView.contentAttributes.of({ 'aria-label': label })
  ];
}

export function BlockDiff({ sides }: { sides: BlockSides }): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) {
      return;
    }
    const view = new MergeView({
      a: { doc: sides.before, extensions: readOnly(`${sides.block} before`) },
      b: { doc: sides.after, extensions: readOnly(`${sides.block} after`) },
      parent: host.current,
      collapseUnchanged: { margin: 3, minSize: 6 },
      gutter: true
    });
    return () => view.destroy();
  }, [sides.before, sides.after, sides.block]);
  return (
    <div className="mlestar-diff" data-testid="mlestar-diff" data-block={sides.block}>
      <div className="mlestar-diff-head">
        <span>{sides.block}: before</span>
        <span>after</span>
      </div>
      <div ref={host} className="mlestar-diff-body" />
    </div>
  );
}

export function CodeEditor(props: { value: string; onChange: (value: string) => void; label: string }): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const initial = useRef(props.value);
  useEffect(() => {
    if (!host.current) {
      return;
    }
    const view = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: initial.current,
        extensions: [
          lineNumbers(),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          python(),
          jupyterTheme,
          EditorView.contentAttributes.of({ 'aria-label': props.label }),
          EditorView.updateListener.of(update => {
            if (update.docChanged) {
              onChange.current(update.state.doc.toString());
            }
          })
        ]
      })
    });
    return () => view.destroy();
  }, [props.label]);
  return <div ref={host} className="mlestar-editor" data-testid="mlestar-code-editor" />;
}
