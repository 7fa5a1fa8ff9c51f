// The palette: every node type of journey.md, grouped. Drag onto the canvas (the xyflow DnD
// example's dataTransfer hand-off) or click to add in the middle of the view.

import type { DragEvent } from 'react';
import { useReactFlow } from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import { NODE_GROUPS, nodeTypeInfo, typesInGroup } from '../model/nodeTypes';
import type { NodeType } from '../model/types';
import { DND_TYPE } from './JourneyCanvas';

export function Palette(props: { onAdd: (type: NodeType, position: { x: number; y: number }) => void; disabled?: boolean }) {
  const { t } = useTranslation();
  const rf = useReactFlow();

  const onDragStart = (e: DragEvent, type: NodeType) => {
    e.dataTransfer.setData(DND_TYPE, type);
    e.dataTransfer.effectAllowed = 'move';
  };

  const addAtCentre = (type: NodeType) => {
    const el = document.querySelector('.design .canvas');
    const r = el?.getBoundingClientRect();
    const centre = r ? { x: r.left + r.width / 2, y: r.top + r.height / 2 } : { x: 400, y: 300 };
    const p = rf.screenToFlowPosition(centre);
    // Jitter so repeated clicks do not stack exactly.
    const j = Math.round(Math.random() * 40) - 20;
    props.onAdd(type, { x: p.x - 100 + j, y: p.y - 40 + j });
  };

  return (
    <aside className="palette" data-testid="palette">
      <div className="palette-title">{t('palette.title')}</div>
      <div className="palette-hint">{t('palette.hint')}</div>
      {NODE_GROUPS.map((g) => (
        <div key={g} className="palette-group">
          <div className="palette-group-title">{t(`palette.groups.${g}`)}</div>
          {typesInGroup(g).map((type) => (
            <button
              key={type}
              type="button"
              className={`palette-item group-${g}`}
              draggable={!props.disabled}
              disabled={props.disabled}
              data-testid={`palette-${type}`}
              onDragStart={(e) => onDragStart(e, type)}
              onClick={() => addAtCentre(type)}
              title={type}
            >
              <span className="jnode-glyph">{nodeTypeInfo(type).glyph}</span>
              {t(`nodeTypes.${type}`)}
            </button>
          ))}
        </div>
      ))}
    </aside>
  );
}
