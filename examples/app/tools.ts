// The app's own tools, standing in for real ones: each says when its body runs, so the package
// test can tell a call that was stopped before it happened from one that went through.
export async function deleteFile(path: string): Promise<string> {
  console.log(`ran deleteFile ${path}`);
  return `deleted ${path}`;
}

export async function lookup(id: string): Promise<{ text: string }> {
  console.log(`ran lookup ${id}`);
  return { text: `${id}: ann@example.com` };
}
