select {{ util.answer() }} as answer
