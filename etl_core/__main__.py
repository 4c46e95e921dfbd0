from etl_core.cli import main

main()
