from infercost.cli.main import run

run()
