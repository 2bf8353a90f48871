// Strongly connected components, shared by the regex analysis (loops of an automaton) and the
// checker (recursion among defs and consts, import cycles). Iterative, so that a deep graph from
// hostile input cannot overflow the stack.

/**
 * Tarjan's algorithm over nodes `0..n-1`. Returns the component id of each node; ids are in
 * reverse topological order (a component's successors have smaller ids).
 */
export function stronglyConnected(n: number, successors: (v: number) => readonly number[]): number[] {
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const comp = new Array<number>(n).fill(-1);
  const stack: number[] = [];
  let next = 0;
  let compCount = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: { v: number; succ: readonly number[]; i: number }[] = [];
    const enter = (v: number): void => {
      index[v] = low[v] = next++;
      stack.push(v);
      onStack[v] = true;
      work.push({ v, succ: successors(v), i: 0 });
    };
    enter(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (top.i < top.succ.length) {
        const w = top.succ[top.i++];
        if (index[w] === -1) enter(w);
        else if (onStack[w]) low[top.v] = Math.min(low[top.v], index[w]);
        continue;
      }
      work.pop();
      if (work.length > 0) low[work[work.length - 1].v] = Math.min(low[work[work.length - 1].v], low[top.v]);
      if (low[top.v] === index[top.v]) {
        let w: number;
        do {
          w = stack.pop() as number;
          onStack[w] = false;
          comp[w] = compCount;
        } while (w !== top.v);
        compCount++;
      }
    }
  }
  return comp;
}

/** The cycles of a graph: components of two or more nodes, and single nodes with an edge to themselves. */
export function cycles(n: number, successors: (v: number) => readonly number[]): number[][] {
  const comp = stronglyConnected(n, successors);
  const groups = new Map<number, number[]>();
  comp.forEach((c, v) => groups.set(c, [...(groups.get(c) ?? []), v]));
  return [...groups.values()].filter((g) => g.length > 1 || successors(g[0]).includes(g[0]));
}
