"""The request pipeline: resolve → select credential → translate → call upstream → relay."""
